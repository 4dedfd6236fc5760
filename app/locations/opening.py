"""Is a location open at a given moment? Dated exceptions win over the weekly hours."""

from datetime import datetime
from typing import Literal

from app.clock import local_zone
from app.locations.models import Location

OpeningState = Literal["open", "closed", "unknown"]


def opening_state(location: Location, at: datetime) -> OpeningState:
    """`unknown` when the location has no weekly hours and no exception for that day."""
    local = at.astimezone(local_zone())
    day, moment = local.date(), local.time()
    for exception in location.exceptions:
        if exception.date == day:
            if exception.opens is None or exception.closes is None:
                return "closed"
            return "open" if exception.opens <= moment < exception.closes else "closed"
    if not location.opening_hours:
        return "unknown"
    today = [h for h in location.opening_hours if h.weekday == local.weekday()]
    return "open" if any(h.opens <= moment < h.closes for h in today) else "closed"


def combined_state(states: list[OpeningState]) -> OpeningState:
    """A service is open when any of its locations is; closed when all known ones are closed."""
    if "open" in states:
        return "open"
    return "closed" if "closed" in states else "unknown"
