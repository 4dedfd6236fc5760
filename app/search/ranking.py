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
    uuid.UUID). The read model holds thousands of candidates and a search keeps a page of
    them: they keep this form, compared and ordered as they came (hex text orders as the
    UUIDs do), and only the page's ids become UUIDs (as_uuid)."""

    impl = Uuid
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


def as_uuid(dialect: Dialect) -> Callable[[Any], uuid.UUID]:
    """How this dialect's DriverId values become UUIDs (Uuid's own reading of a column)."""
    process = Uuid().result_processor(dialect, None)
    return process or (lambda value: value)


def driver_id(dialect: Dialect) -> Callable[[uuid.UUID], Any]:
    """How a UUID becomes this dialect's DriverId value (Uuid's own binding)."""
    process = Uuid().bind_processor(dialect)
    return process or (lambda value: value)


def area_codes(place: SearchPlace) -> list[list[str]]:
    """The codes that match at the buurt, wijk and gemeente level."""
    return [place.buurten, place.wijken, [place.gemeente] if place.gemeente else []]
