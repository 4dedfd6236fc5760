"""FHIR search parameter values as SQL clauses, by parameter type (token, reference, string, date).

A comma separates alternatives (OR, `\\,` is a literal comma); a parameter repeated is
ANDed by the caller. A value that cannot denote anything we hold (a malformed id, a code
of a foreign system) matches nothing, as FHIR asks; a value that is malformed for its
type (a date, a boolean) is a 400.
"""

import math
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, false, not_, or_, true

from app.clock import local_aware, local_moment, local_zone
from app.dialect import folded
from app.errors import InvalidInput
from app.folding import fold, nfc

DEFAULT_COUNT = 50
MAX_COUNT = 100


def alternatives(value: str) -> list[str]:
    return [part.replace("\\,", ",") for part in re.split(r"(?<!\\),", value) if part]


def any_of(clauses: Iterable[ColumnElement[bool]]) -> ColumnElement[bool]:
    clauses = list(clauses)
    return or_(*clauses) if clauses else false()


def uuids(values: Iterable[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue  # cannot be one of ours: matches nothing
    return found


def ids_clause(column: Any, value: str, parse: Callable[[Iterable[str]], list[Any]] = uuids) -> ColumnElement[bool]:
    wanted = parse(alternatives(value))
    return column.in_(wanted) if wanted else false()


def references(value: str, resource_type: str) -> list[str]:
    """The ids of `Type/id`, a bare `id` or an absolute URL ending in `Type/id`; other types are dropped."""
    ids = []
    for item in alternatives(value):
        parts = item.rstrip("/").split("/")
        if len(parts) == 1:
            ids.append(parts[0])
        elif parts[-2] == resource_type:
            ids.append(parts[-1])
    return ids


def reference_clause(
    column: Any, value: str, resource_type: str, parse: Callable[[Iterable[str]], list[Any]] = uuids
) -> ColumnElement[bool]:
    wanted = parse(references(value, resource_type))
    return column.in_(wanted) if wanted else false()


def tokens(value: str, system: str) -> list[str] | None:
    """The codes a token value asks for in our `system`; None means any code of it.

    `code` and `system|code` with our system match; `|code` (explicitly no system) and
    other systems match nothing, because every code we emit carries its system."""
    codes: list[str] = []
    for item in alternatives(value):
        asked_system, bar, code = item.rpartition("|")
        if bar and asked_system != system:
            continue
        if not code:
            return None
        codes.append(code)
    return codes


def token_clause(column: Any, value: str, system: str) -> ColumnElement[bool]:
    codes = tokens(value, system)
    if codes is None:
        return column.is_not(None)
    return column.in_(codes) if codes else false()


def boolean(value: str, name: str) -> bool:
    if value not in ("true", "false"):
        raise InvalidInput(f"{name}: expected true or false, got '{value}'.", field=name)
    return value == "true"


def boolean_clause(clause: ColumnElement[bool], value: str, name: str) -> ColumnElement[bool]:
    return clause if boolean(value, name) else not_(clause)


def constant_clause(holds: bool, value: str, name: str) -> ColumnElement[bool]:
    """For a flag that is the same for every row (every live organisation is active)."""
    return true() if boolean(value, name) == holds else false()


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def string_clause(column: Any, value: str, modifier: str) -> ColumnElement[bool]:
    """FHIR string search with a modifier (without one, a string parameter matches words as the
    search does: app/fhir/kinds.py): `:contains` the text anywhere, without case or accents
    ('cooperatie' finds 'Coöperatie'); `:exact` the whole text, case, accents and all."""

    def one(text: str) -> ColumnElement[bool]:
        if modifier == "exact":
            return column == nfc(text)
        return folded(column).ilike(f"%{_escaped(fold(text))}%", escape="\\")

    return any_of(one(text) for text in alternatives(value))


STRING_MODIFIERS = frozenset({"contains", "exact"})

_DATE = re.compile(
    r"^(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb)?"
    r"(?P<value>[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?)$"
)


def _range(value: str) -> tuple[datetime, datetime]:
    """The interval [low, high) a FHIR date or dateTime denotes, at its own precision.
    Without a zone the time is local, as a person in the Netherlands means it."""
    zone = local_zone()
    if len(value) == 4:
        low = datetime(int(value), 1, 1, tzinfo=zone)
        return low, low.replace(year=low.year + 1)
    if len(value) == 7:
        low = datetime(int(value[:4]), int(value[5:7]), 1, tzinfo=zone)
        return low, (low + timedelta(days=32)).replace(day=1)
    moment = datetime.fromisoformat(value)
    time_part = value.partition("T")[2]
    if not time_part:
        low = moment.replace(tzinfo=zone)
        return low, low + timedelta(days=1)  # wall-clock arithmetic: a day is a day across DST
    low = local_aware(moment)
    clock = re.match(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?(\.[0-9]+)?", time_part)
    assert clock is not None  # the pattern in date_clause guarantees it
    step = timedelta(microseconds=1) if clock[2] else timedelta(seconds=1) if clock[1] else timedelta(minutes=1)
    return low, low + step


def date_clause(column: Any, value: str, name: str) -> ColumnElement[bool]:
    """A date search against an instant: ge2026-01-01 is 'at or after the start of that day'."""
    match = _DATE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        # A bound past the calendar's years 1 to 9999 (gt9999-12-31T23:59:59) is refused as well.
        low, high = (local_moment(bound) for bound in _range(match["value"]))
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(
            f"{name}: '{value}' is not a FHIR date search (a prefix eq, ne, gt, lt, ge, le, sa or eb, "
            "then YYYY, YYYY-MM, YYYY-MM-DD or a dateTime, within the years 1 to 9999).", field=name,
        ) from exc
    within = (column >= low) & (column < high)
    return {
        "eq": within, "ne": not_(within),
        "gt": column >= high, "sa": column >= high, "ge": column >= low,
        "lt": column < low, "eb": column < low, "le": column < high,
    }[match["prefix"] or "eq"]


_WHOLE = re.compile(r"[0-9]{1,18}")  # ASCII digits, within a 64-bit integer (int() of thousands raises)


def count(raw: str | None) -> int:
    """_count: at most 100 (a larger one is served as 100, which FHIR allows); 0 gives only the total."""
    if raw is None:
        return DEFAULT_COUNT
    if not _WHOLE.fullmatch(raw):
        raise InvalidInput(f"_count: expected a whole number of at most 18 digits, got '{raw[:40]}'.", field="_count")
    return min(int(raw), MAX_COUNT)


def offset(raw: str | None) -> int:
    if raw is None:
        return 0
    if not _WHOLE.fullmatch(raw):
        raise InvalidInput(f"_offset: expected a whole number of at most 18 digits, got '{raw[:40]}'.", field="_offset")
    return int(raw)


NEAR_DEFAULT_KM = 5.0
NEAR_MAX_KM = 200.0
_UNITS_KM = {"km": 1.0, "m": 0.001}
_NUMBER = re.compile(r"[+-]?[0-9]{1,9}(?:\.[0-9]{1,12})?")


def near_clause(lat_column: Any, lon_column: Any, value: str, km_per_degree: float) -> ColumnElement[bool]:
    """R4's `near=lat|lon|distance|unit` (distance default 5 km; unit km or m): within that
    distance of the point, on a local flat map (exact enough within a province)."""
    parts = value.split("|")
    try:
        if not 2 <= len(parts) <= 4 or not all(_NUMBER.fullmatch(p) for p in parts[:3] if p):
            raise ValueError(value)
        lat, lon = float(parts[0]), float(parts[1])
        distance = float(parts[2]) if len(parts) > 2 and parts[2] else NEAR_DEFAULT_KM
        unit = parts[3] if len(parts) > 3 and parts[3] else "km"
        km = distance * _UNITS_KM[unit]
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 < km <= NEAR_MAX_KM):
            raise ValueError(value)
    except (ValueError, KeyError) as exc:
        raise InvalidInput(
            f"near: '{value[:60]}' is not lat|lon|distance|unit (a distance above 0 and at most {NEAR_MAX_KM:g} km; "
            "unit km or m, default 5 km).", field="near",
        ) from exc
    dy = (lat_column - lat) * km_per_degree
    dx = (lon_column - lon) * (km_per_degree * math.cos(math.radians(lat)))
    return (lat_column.is_not(None)) & (dx * dx + dy * dy <= km * km)
