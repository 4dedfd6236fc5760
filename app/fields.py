"""Field types shared by the write schemas."""

import json
import reprlib
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import phonenumbers
import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from app.clock import local_moment, local_today
from app.db import utcnow
from app.errors import InvalidInput
from app.folding import nfc, nfc_everywhere
from app.postcode import normalise_postcode

GemeenteCode = Annotated[str, Field(pattern=r"^GM[0-9]{4}$", examples=["GM0687"])]
AreaCode = Annotated[
    str, Field(pattern=r"^(GM[0-9]{4}|WK[0-9]{4}[0-9A-Z]{2}|BU[0-9]{4}[0-9A-Z]{4})$", examples=["WK068703"])
]
EightDigits = Annotated[str, Field(pattern=r"^[0-9]{8}$", examples=["12345678"])]
# Trimmed, so that a name of spaces alone is refused and " Hulp" is the same name as "Hulp".
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Every moment a client sends. A time without a zone is local time (as people mean it); stored
# times are all aware.
LocalDateTime = Annotated[datetime, AfterValidator(local_moment)]
# When an entry was checked, or a waiting time reported: by tomorrow at the latest. A clock a
# little ahead is forgiven; a typo's year (2062) is not: it would rank as checked for ever.
_AHEAD = timedelta(days=1)


def _checked_by_now(moment: datetime) -> datetime:
    if moment > utcnow() + _AHEAD:
        raise ValueError("a moment that has come, not one in the future")
    return moment


def _reported_by_today(day: date) -> date:
    if day > local_today() + _AHEAD:
        raise ValueError("a date that has come, not one in the future")
    return day


CheckedAt = Annotated[LocalDateTime, AfterValidator(_checked_by_now)]
ReportedOn = Annotated[date, AfterValidator(_reported_by_today)]
# A clock time of opening hours, local and without an offset ("09:00", sent back as "09:00:00").
# JSON Schema's format "time" is RFC 3339's full-time, which requires an offset: so a pattern.
def _without_offset(value: time) -> time:
    # An offset (or a number, which pydantic reads as seconds in UTC) would make the time aware,
    # and aware and local times cannot be compared.
    if value.tzinfo is not None:
        raise ValueError("a local time without an offset, as HH:MM")
    return value


LocalTime = Annotated[time, AfterValidator(_without_offset), WithJsonSchema({
    "type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$", "examples": ["09:00"],
})]
ExternalId = Annotated[
    str,
    AfterValidator(nfc),  # one key, however its accents were composed
    Field(
        min_length=1, max_length=100, examples=["MBG-WMO-01"],
        description="Your own key for the entry (e.g. from your own register); bulk imports match rows on it. "
        "Unique among the live entries of one kind: prefix it, e.g. with your gemeente.",
    ),
]
Url = Annotated[HttpUrl, PlainSerializer(str, return_type=str)]


def _pc6(value: str) -> str:
    try:
        canonical = normalise_postcode(value)
    except InvalidInput as exc:
        raise ValueError(exc.detail) from exc
    if len(canonical) != 6:
        raise ValueError("an address needs a full postcode (4 digits and 2 letters)")
    return canonical


Postcode6 = Annotated[str, AfterValidator(_pc6), Field(examples=["4331AB"])]


def _dutch_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "NL")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number_for_region(number, "NL"):
        raise ValueError("not a valid Dutch phone number (e.g. 0118 612 345, 06 12345678, 14 0118, 0800 1234)")
    # Stored as people dial it here: national format, grouped ("0118 612 345").
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


DutchPhone = Annotated[str, Field(max_length=40, examples=["0118 612 345"]), AfterValidator(_dutch_phone)]


def _iso_639_1_codes() -> frozenset[str]:
    """The ISO 639-1 codes: the two-letter codes in pycountry's ISO 639-3 table. Read from its
    file, not through pycountry.languages, which would build and keep an object per language
    (about 7,900, 4.5 MB in every worker) to give 184 codes."""
    table = pycountry.languages
    with open(table.filename, encoding="utf-8") as file:
        entries = json.load(file)[table.root_key]
    return frozenset(entry["alpha_2"] for entry in entries if "alpha_2" in entry)


ISO_639_1 = _iso_639_1_codes()  # once, at start-up


def _iso_639_1(code: str) -> str:
    if code not in ISO_639_1:
        raise ValueError(
            f"{reprlib.repr(code)} is not an ISO 639-1 language code (two lower-case letters, such as nl, en or ar)"
        )
    return code


# A language as HSDS's `language.code` and FHIR's BCP 47 take it: services' languages, the
# search's `language`. The pattern is what the schema shows; the list of codes is the rule.
LanguageCode = Annotated[str, AfterValidator(_iso_639_1), WithJsonSchema({
    "type": "string", "pattern": r"^[a-z]{2}$", "description": "An ISO 639-1 language code.", "examples": ["ar"],
})]


def unique_codes(values: list[str]) -> list[str]:
    """Sorted and without repeats, so equal sets compare equal."""
    return sorted(set(values))


CodeList = Annotated[list[AreaCode], AfterValidator(unique_codes)]


def blank_is_none(value: str | None) -> str | None:
    """An optional text sent empty or as spaces alone (a form's empty field) is not given."""
    return value if value is None or value.strip() else None


NUL_REFUSED = "holds a NUL character, which cannot be stored"


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


class WriteSchema(BaseModel):
    """What clients send: a field this API does not know is an error, not silently dropped
    (a misspelled `valid_untill` must not leave a contact valid for ever)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _nfc_without_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store a NUL in text, SQLite would, and the CSV import refuses it:
        # refused here, every database holds the same and every export imports again.
        if _holds_nul(value):
            raise ValueError(NUL_REFUSED)
        # Every text as NFC: an "ö" typed as o and a combining diaeresis is the same id and name.
        return nfc_everywhere(value)


def schema_examples(*examples: dict[str, Any]) -> dict[str, Any]:
    """A model's `json_schema_extra`: the examples the OpenAPI document shows for it."""
    return {"examples": list(examples)}
