"""Is a location open at a given moment? Dated exceptions win over the weekly hours.

One rule, opening_state (state_at once the moment is local), for anything that carries a
location's opening times: a Location, or its times as values (OpeningTimes) as the search's
read model and a page's cards hold them.
"""

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Literal, NamedTuple, Protocol

from app.clock import local_zone

OpeningState = Literal["open", "closed", "unknown"]


class _Weekly(Protocol):
    @property
    def weekday(self) -> int: ...
    @property
    def opens(self) -> time: ...
    @property
    def closes(self) -> time: ...


class _Dated(Protocol):
    @property
    def date(self) -> date: ...
    @property
    def opens(self) -> time | None: ...
    @property
    def closes(self) -> time | None: ...


class HasOpeningTimes(Protocol):
    @property
    def opening_hours(self) -> Sequence[_Weekly]: ...
    @property
    def exceptions(self) -> Sequence[_Dated]: ...


class WeeklyHours(NamedTuple):
    weekday: int  # 0 = Monday
    opens: time
    closes: time


class DatedHours(NamedTuple):
    date: date
    opens: time | None  # None: closed all day
    closes: time | None


class OpeningTimes(NamedTuple):
    """A location's opening times as values: hashable, so that equal ones can be held once."""

    opening_hours: tuple[WeeklyHours, ...]
    exceptions: tuple[DatedHours, ...]


def local_moment(at: datetime) -> tuple[date, int, time]:
    """The local date, weekday (0 = Monday) and time of day that opening hours are read in."""
    local = at.astimezone(local_zone())
    return local.date(), local.weekday(), local.time()


def opening_state(location: HasOpeningTimes, at: datetime) -> OpeningState:
    """`unknown` when the location has no weekly hours and no exception for that day."""
    return state_at(location, *local_moment(at))


def state_at(location: HasOpeningTimes, day: date, weekday: int, moment: time) -> OpeningState:
    """opening_state at a local date, weekday and time (local_moment)."""
    for exception in location.exceptions:
        if exception.date == day:
            if exception.opens is None or exception.closes is None:
                return "closed"
            return "open" if exception.opens <= moment < exception.closes else "closed"
    if not location.opening_hours:
        return "unknown"
    return "open" if any(h.weekday == weekday and h.opens <= moment < h.closes for h in location.opening_hours) \
        else "closed"


def combined_state(states: list[OpeningState]) -> OpeningState:
    """A service is open when any of its locations is; closed when all known ones are closed."""
    if "open" in states:
        return "open"
    return "closed" if "closed" in states else "unknown"
