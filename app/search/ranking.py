"""The ranking's levels and order, and the form service ids take while candidates are ranked.

A search ranks a service by the most specific level at which it covers the patient
(MATCH_LEVELS: buurt, wijk, gemeente; then radius for services open to anyone with a
location within reach, then anywhere for those without areas and locations), then by the
distance to its nearest live location (app/search/memory.py finds and orders them).
"""

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from app.search.schemas import MATCH_LEVELS, SearchPlace

KM_PER_DEGREE = 111.195
NO_DISTANCE = 1e9  # sorts services without a location last
GEMEENTE_LEVEL = MATCH_LEVELS.index("gemeente")
RADIUS_LEVEL = MATCH_LEVELS.index("radius")
ANYWHERE_LEVEL = MATCH_LEVELS.index("anywhere")
PLACE_FREE_LEVELS = (RADIUS_LEVEL, ANYWHERE_LEVEL)  # reached from any place, with or without areas
# Within a search without q; with q, the relevance band comes first (app/search/service.py).
ORDER_KEYS = ("level", "d2", "id")


class DriverId(TypeDecorator[Any]):
    """A service id as the driver reads and binds it (SQLite: the hex text; PostgreSQL: a
    uuid.UUID), without Uuid's conversion: the read model reads every service's rows by it."""

    impl = Uuid
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


def id_number(dialect: Dialect) -> Callable[[Any], int]:
    """How this dialect's DriverId values become the read model's ids: the UUID's 128-bit
    number, which orders as the UUIDs do, is hashed and compared without Python code, and
    takes 44 bytes where a uuid.UUID takes 100."""
    process = Uuid().result_processor(dialect, None)
    if process is None:
        return lambda value: value.int
    return lambda value: process(value).int


def from_number(number: int) -> uuid.UUID:
    return uuid.UUID(int=number)


def driver_id(dialect: Dialect) -> Callable[[uuid.UUID], Any]:
    """How a UUID becomes this dialect's DriverId value (Uuid's own binding)."""
    process = Uuid().bind_processor(dialect)
    return process or (lambda value: value)


def area_codes(place: SearchPlace) -> list[list[str]]:
    """The codes that match at the buurt, wijk and gemeente level."""
    return [place.buurten, place.wijken, [place.gemeente] if place.gemeente else []]
