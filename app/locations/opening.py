"""Is a location open at a given moment? Dated exceptions win over the weekly hours.

The rule in two forms: opening_state for one location in hand, open_clause for many in SQL
(a search keeping only what is open). tests/search/test_search.py holds them to agree.
"""

from datetime import date, datetime, time
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, exists, or_

from app.clock import local_zone
from app.db import table_of
from app.locations.models import Location, OpeningException, OpeningHours

OpeningState = Literal["open", "closed", "unknown"]

_hours, _exception = table_of(OpeningHours), table_of(OpeningException)


def local_moment(at: datetime) -> tuple[date, int, time]:
    """The local date, weekday (0 = Monday) and time of day that opening hours are read in."""
    local = at.astimezone(local_zone())
    return local.date(), local.weekday(), local.time()


def opening_state(location: Location, at: datetime) -> OpeningState:
    """`unknown` when the location has no weekly hours and no exception for that day."""
    day, weekday, moment = local_moment(at)
    for exception in location.exceptions:
        if exception.date == day:
            if exception.opens is None or exception.closes is None:
                return "closed"
            return "open" if exception.opens <= moment < exception.closes else "closed"
    if not location.opening_hours:
        return "unknown"
    today = [h for h in location.opening_hours if h.weekday == weekday]
    return "open" if any(h.opens <= moment < h.closes for h in today) else "closed"


def open_clause(location_id: Any, at: datetime) -> ColumnElement[bool]:
    """SQL that is true where opening_state would say "open" for the location of this id
    column: that day's exception (one at most per date) has it open, or it has none and
    that weekday's hours do."""
    day, weekday, moment = local_moment(at)
    that_day = and_(_exception.c.location_id == location_id, _exception.c.date == day)
    return or_(
        exists().where(that_day, _exception.c.opens <= moment, _exception.c.closes > moment),
        and_(
            ~exists().where(that_day),
            exists().where(
                _hours.c.location_id == location_id, _hours.c.weekday == weekday,
                _hours.c.opens <= moment, _hours.c.closes > moment,
            ),
        ),
    )


def combined_state(states: list[OpeningState]) -> OpeningState:
    """A service is open when any of its locations is; closed when all known ones are closed."""
    if "open" in states:
        return "open"
    return "closed" if "closed" in states else "unknown"
