"""The CSV layout of each kind of entry, shared by import and export: one column per
field of the entry's write schema, named alike.

Cells hold what Dutch spreadsheets hold: several values in one cell separated by `|`
(a `|` inside a value is written `\\|`), booleans as ja/nee (also WAAR/ONWAAR, true/false,
1/0), dates as 2026-09-01 or 1-9-2026, decimal commas. Nested fields get a flat form:
opening hours as `ma 09:00-12:30|ma 13:30-17:00`, dated exceptions as
`2026-12-25 gesloten Eerste Kerstdag|2026-12-24 09:00-12:00 Kerstavond`, and the
eligibility rules as columns of their own (all empty: the service has no rules).
References to other entries (`organisation_id`, `location_ids`, …) hold an id or an
external id; export writes ids.
"""

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from app.clock import local_aware
from app.contacts.schemas import ContactWrite
from app.fields import NUL_REFUSED
from app.front_doors.schemas import FrontDoorWrite
from app.locations.schemas import LocationWrite
from app.organisations.schemas import OrganisationWrite
from app.services.schemas import EligibilityRules, ServiceWrite
from app.taxonomy.vocabulary import ACCESS_ROUTE_LABELS, HOUSEHOLD_TYPE_LABELS, Cost, ServiceStatus

# Import order: every entry after those it may refer to.
ENTITIES = ("organisations", "locations", "services", "contacts", "front_doors")
SCHEMAS: dict[str, type[BaseModel]] = {
    "organisations": OrganisationWrite, "locations": LocationWrite, "services": ServiceWrite,
    "contacts": ContactWrite, "front_doors": FrontDoorWrite,
}
ELIGIBILITY = "eligibility"


class CellError(ValueError):
    """A cell that cannot be read; the message says what it should look like."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "str"  # a key of _READERS
    path: tuple[str, ...] = ()  # where the value goes in the write schema; default (name,)
    refers_to: str | None = None  # for ref/refs: the entity referred to

    @property
    def field(self) -> tuple[str, ...]:
        return self.path or (self.name,)


def _ref(name: str, entity: str, many: bool = False) -> Column:
    return Column(name, "refs" if many else "ref", refers_to=entity)


_ID, _EXTERNAL_ID, _VERIFIED = Column("id", "id"), Column("external_id"), Column("last_verified_at", "datetime")
LAYOUTS: dict[str, tuple[Column, ...]] = {
    "organisations": (
        _ID, _EXTERNAL_ID, Column("name"), Column("kvk_number"), Column("agb_code"), Column("website"),
        Column("phone"), Column("email"), Column("description", "text"), Column("owners", "list"), _VERIFIED,
    ),
    "locations": (
        _ID, _EXTERNAL_ID, _ref("organisation_id", "organisations"), Column("name"), Column("street"),
        Column("house_number"), Column("postcode"), Column("city"), Column("lat", "float"), Column("lon", "float"),
        Column("accessibility_note", "text"), Column("opening_hours", "hours"),
        Column("exceptions", "exceptions"), _VERIFIED,
    ),
    "services": (
        _ID, _EXTERNAL_ID, _ref("organisation_id", "organisations"), Column("name"), Column("description", "text"),
        Column("need_domains", "list"), Column("target_groups", "list"), Column("access_route", "term"),
        Column("cost", "term"), Column("cost_note", "text"), Column("languages", "list"), Column("waiting_days", "int"),
        Column("waiting_reported_on", "date"), Column("status", "term"), Column("areas", "list"), Column("owners", "list"),
        _ref("location_ids", "locations", many=True),
        Column("min_age", "int", (ELIGIBILITY, "min_age")),
        Column("max_age", "int", (ELIGIBILITY, "max_age")),
        Column("must_live_in_area", "bool", (ELIGIBILITY, "must_live_in_area")),
        Column("max_income_pct_social_minimum", "int", (ELIGIBILITY, "max_income_pct_social_minimum")),
        Column("household_types", "terms", (ELIGIBILITY, "household_types")),
        Column("required_target_group", "str", (ELIGIBILITY, "required_target_group")),
        Column("needs_beschikking", "bool", (ELIGIBILITY, "needs_beschikking")),
        Column("needs_gp_referral", "bool", (ELIGIBILITY, "needs_gp_referral")),
        Column("eligibility_note", "text", (ELIGIBILITY, "note")),
        _VERIFIED,
    ),
    "contacts": (
        _ID, _EXTERNAL_ID, Column("name"), Column("role"), _ref("service_id", "services"),
        _ref("organisation_id", "organisations"), Column("phone"), Column("email"), Column("secure_messaging"),
        Column("is_general", "bool"), Column("valid_from", "date"), Column("valid_until", "date"),
        Column("areas", "list"), _VERIFIED,
    ),
    "front_doors": (
        _ID, _EXTERNAL_ID, Column("area_code"), Column("topic"), _ref("service_id", "services"),
        _ref("contact_id", "contacts"), Column("note", "text"), _VERIFIED,
    ),
}

# --- reading cells --------------------------------------------------------------------

_DUTCH_DATE = re.compile(r"([0-9]{1,2})[-/]([0-9]{1,2})[-/]([0-9]{4})")
_DUTCH_DATETIME = re.compile(r"([0-9]{1,2})[-/]([0-9]{1,2})[-/]([0-9]{4})\s+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]*,[0-9]+")
_TIME = r"[0-9]{1,2}[:.][0-9]{2}(?:[:.][0-9]{2})?"
_HOURS = re.compile(rf"(?P<day>[a-z]+)\.?\s+(?P<opens>{_TIME})\s*-\s*(?P<closes>{_TIME})", re.IGNORECASE)
_EXCEPTION = re.compile(
    rf"(?P<date>\S+)\s+(?:(?P<closed>gesloten|dicht|closed)|(?P<opens>{_TIME})\s*-\s*(?P<closes>{_TIME}))"
    r"(?:\s+(?P<note>.*))?",
    re.IGNORECASE | re.DOTALL,
)
WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
_WEEKDAY_NAMES = {
    **{abbreviation: day for day, abbreviation in enumerate(WEEKDAYS)},
    **{name: day for day, name in enumerate(("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"))},
}
_TRUE = frozenset({"ja", "j", "waar", "true", "t", "yes", "y", "1", "x"})
_FALSE = frozenset({"nee", "n", "onwaar", "false", "f", "no", "0"})


def split_values(cell: str) -> list[str]:
    """`a|b\\|c` -> ["a", "b|c"]; blanks around and between values go."""
    values, current, escaped = [], [], False
    for char in cell:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    values.append("".join(current) + ("\\" if escaped else ""))
    return [value.strip() for value in values if value.strip()]


def _date(cell: str) -> str:
    if match := _DUTCH_DATE.fullmatch(cell):
        day, month, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError as exc:
            raise CellError(f"not a date: {cell!r}") from exc
    return cell  # ISO, or whatever the schema then refuses with its own message


def _datetime(cell: str) -> datetime:
    # A time without a zone is local time, as a spreadsheet user means it.
    try:
        if match := _DUTCH_DATETIME.fullmatch(cell):
            day, month, year, hour, minute = (int(part) for part in match.groups()[:5])
            return local_aware(datetime(year, month, day, hour, minute, int(match.group(6) or 0)))
        if _DUTCH_DATE.fullmatch(cell):
            return local_aware(datetime.fromisoformat(_date(cell)))
        return local_aware(datetime.fromisoformat(cell))
    except ValueError as exc:
        raise CellError(f"not a date and time: {cell!r} (e.g. 2026-09-01T09:00:00Z or 1-9-2026 09:00)") from exc


def _bool(cell: str) -> bool:
    if cell.lower() in _TRUE:
        return True
    if cell.lower() in _FALSE:
        return False
    raise CellError(f"not ja or nee: {cell!r}")


def _time(text: str) -> str:
    hour, *rest = re.split(r"[:.]", text)
    return ":".join([f"{int(hour):02d}", *rest])


def _hours(cell: str) -> list[dict[str, Any]]:
    intervals = []
    for value in split_values(cell):
        match = _HOURS.fullmatch(value)
        day = _WEEKDAY_NAMES.get(match.group("day").lower()) if match else None
        if match is None or day is None:
            raise CellError(f"opening hours are written like 'ma 09:00-12:30|di 13:30-17:00', not {value!r}")
        intervals.append({"weekday": day, "opens": _time(match.group("opens")), "closes": _time(match.group("closes"))})
    return intervals


def _exceptions(cell: str) -> list[dict[str, Any]]:
    exceptions = []
    for value in split_values(cell):
        match = _EXCEPTION.fullmatch(value)
        if match is None:
            raise CellError(
                f"exceptions are written like '2026-12-25 gesloten Eerste Kerstdag' or "
                f"'2026-12-24 09:00-12:00 Kerstavond', not {value!r}"
            )
        closed = match.group("closed") is not None
        exceptions.append({
            "date": _date(match.group("date")),
            "opens": None if closed else _time(match.group("opens")),
            "closes": None if closed else _time(match.group("closes")),
            "note": match.group("note") or None,
        })
    return exceptions


def fold_term(text: str) -> str:
    """A word as compared with a vocabulary: without case, accents, `_` or extra spaces
    ("Financiën", "financien" and "FINANCIEN" are one; "eigen_bijdrage" is "Eigen bijdrage")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace("_", " ").split())


def _words(codes: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {fold_term(word): code for code, words in codes.items() for word in (code, *words)}


# The closed vocabularies, by their code or a Dutch word for it (app/taxonomy/vocabulary.py).
TERMS: dict[str, dict[str, str]] = {
    "cost": _words({Cost.free: ("gratis", "kosteloos"), Cost.own_contribution: ("eigen bijdrage",)}),
    "status": _words({
        ServiceStatus.active: ("actief",), ServiceStatus.paused: ("gepauzeerd", "tijdelijk gestopt"),
        ServiceStatus.ended: ("beëindigd", "gestopt"),
    }),
    "access_route": _words({route: (label,) for route, (label, _english) in ACCESS_ROUTE_LABELS.items()}),
    "household_types": _words({kind: (label,) for kind, (label, _english) in HOUSEHOLD_TYPE_LABELS.items()}),
}


def _term(column: Column, value: str) -> str:
    terms = TERMS[column.name]
    if (code := terms.get(fold_term(value))) is None:
        raise CellError(f"not one of {', '.join(sorted(set(terms)))}: {value!r}")
    return code


def _number(cell: str) -> str:
    return cell.replace(",", ".") if _DECIMAL_COMMA.fullmatch(cell) else cell


_READERS: dict[str, Callable[[str], Any]] = {
    "id": str, "str": str, "text": str, "ref": str, "int": _number, "float": _number, "bool": _bool,
    "date": _date, "datetime": _datetime, "list": split_values, "refs": split_values,
    "hours": _hours, "exceptions": _exceptions,
}


def _field_info(entity: str, column: Column) -> FieldInfo:
    schema = EligibilityRules if column.field[0] == ELIGIBILITY else SCHEMAS[entity]
    return schema.model_fields[column.field[-1]]


@functools.cache
def _empty_value(entity: str, column: Column) -> tuple[bool, Any]:
    # (a new empty list?, else this value); cached: asking pydantic for a default is slow.
    info = _field_info(entity, column)
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    if column.kind in ("list", "refs", "terms", "hours", "exceptions"):
        return (False, None) if default is None and not info.is_required() else (True, None)
    return False, default if isinstance(default, bool | str) else None


def _empty(entity: str, column: Column) -> Any:
    """What an empty cell means: null, an empty list, or for a field that cannot be
    null (cost, status, a yes/no) its default."""
    new_list, value = _empty_value(entity, column)
    return [] if new_list else value


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    """A cell as export writes it: one a spreadsheet would run as a formula gets a leading `'`
    (OWASP's advice), and so does one that already starts with `'`s before such a character,
    so that `unneutralised` gives every value back exactly."""
    return "'" + cell if cell.lstrip("'").startswith(_FORMULA_STARTS) else cell


def unneutralised(cell: str) -> str:
    """A cell as import reads it: the `'` that `neutralised` (or a steward, as Excel has it)
    puts before a formula character goes; any other `'` is part of the value."""
    return cell[1:] if cell.startswith("'") and cell.lstrip("'").startswith(_FORMULA_STARTS) else cell


def read_cell(entity: str, column: Column, raw: str) -> Any:
    """One cell as a value for the write schema (which then checks it). Raises CellError."""
    cell = unneutralised(raw if column.kind == "text" else raw.strip())
    if cell.strip() == "":  # a cell of spaces alone is empty too, as it looks in a spreadsheet
        return _empty(entity, column)
    if "\x00" in cell:
        raise CellError(NUL_REFUSED)
    if column.kind == "term":
        return _term(column, cell)
    if column.kind == "terms":
        return [_term(column, value) for value in split_values(cell)]
    return _READERS[column.kind](cell)


def header_columns(entity: str, header: Sequence[str]) -> tuple[list[Column | None], list[tuple[str, str]]]:
    """The layout's column for each header cell, and (column, message) for those that are wrong."""
    known = {column.name: column for column in LAYOUTS[entity]}
    columns: list[Column | None] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for cell in header:
        name = cell.strip().lower()
        if name in seen:
            problems.append((name, "this column appears twice"))
        elif name not in known and name:
            problems.append((name, f"unknown column for {entity}; the columns are {', '.join(known)}"))
        seen.add(name)
        columns.append(known.get(name))
    return columns, problems


def row_patch(
    entity: str, columns: Sequence[Column | None], cells: Sequence[str]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A data row as a merge patch of the write schema: the columns present replace the
    stored values, the others stay. Returns (patch, [(column, message)])."""
    patch: dict[str, Any] = {}
    rules: dict[str, Any] = {}
    rules_given = False
    problems: list[tuple[str, str]] = []
    if len(cells) > len(columns):
        problems.append(("row", f"{len(cells)} cells but {len(columns)} columns"))
    for column, raw in zip(columns, cells, strict=False):
        if column is None:
            continue
        try:
            value = read_cell(entity, column, raw)
        except CellError as exc:
            problems.append((column.name, str(exc)))
            continue
        if column.field[0] == ELIGIBILITY:
            rules[column.field[1]] = value
            rules_given = rules_given or raw.strip() != ""
        else:
            patch[column.field[0]] = value
    for column in columns[len(cells):]:  # a short row: the missing cells are empty
        if column is not None:
            patch.setdefault(column.field[0], _empty(entity, column))
    if rules:
        # All eligibility cells empty: no rules; otherwise they merge into the stored rules.
        patch[ELIGIBILITY] = rules if rules_given else None
    return patch, problems


def column_of(entity: str, location: Sequence[Any]) -> str:
    """The CSV column of a schema error's location (("eligibility", "min_age") -> "min_age")."""
    for column in LAYOUTS[entity]:
        if tuple(location[: len(column.field)]) == column.field:
            return column.name
    return ".".join(str(part) for part in location) or "row"


# --- writing cells --------------------------------------------------------------------


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|")


def _clock(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _write(value: Any, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, float):
        return repr(value).replace(".", ",") if decimal_comma else repr(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def write_row(entity: str, data: BaseModel, decimal_comma: bool) -> list[str]:
    """An entry as the cells of its layout, none of them a formula; reading them back gives the same entry."""
    values = dict(data)
    cells = []
    for column in LAYOUTS[entity]:
        value = values.get(column.field[0])
        if column.field[0] == ELIGIBILITY:
            value = getattr(value, column.field[1]) if value is not None else None
        if column.kind == "hours":
            cells.append("|".join(f"{WEEKDAYS[i.weekday]} {_clock(i.opens)}-{_clock(i.closes)}" for i in value or ()))
        elif column.kind == "exceptions":
            cells.append("|".join(
                " ".join(part for part in (
                    e.date.isoformat(),
                    f"{_clock(e.opens)}-{_clock(e.closes)}" if e.opens and e.closes else "gesloten",
                    _escape(e.note) if e.note else "",
                ) if part)
                for e in value or ()
            ))
        elif isinstance(value, list):
            cells.append("|".join(_escape(_write(item, decimal_comma)) for item in value))
        else:
            cells.append(_write(value, decimal_comma))
    return [neutralised(cell) for cell in cells]
