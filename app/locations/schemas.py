import itertools
import uuid
from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.fields import CheckedAt, ExternalId, LocalTime, Name, Postcode6, Text, WriteSchema, schema_examples


class OpeningInterval(WriteSchema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")
    opens: LocalTime
    closes: LocalTime

    @field_validator("closes")
    @classmethod
    def _closes_after_opening(cls, closes: time, info: ValidationInfo) -> time:
        opens = info.data.get("opens")
        if opens is not None and opens >= closes:
            raise ValueError("closes must be after opens")
        return closes


class OpeningExceptionIn(WriteSchema):
    date: date
    opens: LocalTime | None = Field(default=None, description="Null with closes null: closed all day.")
    closes: LocalTime | None = Field(default=None, validate_default=True)
    note: str | None = Field(default=None, max_length=200, examples=["Eerste Kerstdag"])

    @field_validator("closes")
    @classmethod
    def _both_or_neither(cls, closes: time | None, info: ValidationInfo) -> time | None:
        opens = info.data.get("opens")
        if (opens is None) != (closes is None):
            raise ValueError("give both opens and closes, or neither for a day closed")
        if opens is not None and closes is not None and opens >= closes:
            raise ValueError("closes must be after opens")
        return closes


class Address(BaseModel):
    street: str | None
    house_number: str | None
    postcode: str | None
    city: str | None


_HOURS_EXAMPLE = [
    {"weekday": 0, "opens": "09:00:00", "closes": "12:30:00"},
    {"weekday": 0, "opens": "13:30:00", "closes": "17:00:00"},
    {"weekday": 3, "opens": "09:00:00", "closes": "12:30:00"},
]
_EXCEPTIONS_EXAMPLE = [
    {"date": "2026-12-25", "opens": None, "closes": None, "note": "Eerste Kerstdag"},
    {"date": "2026-12-31", "opens": "09:00:00", "closes": "13:00:00", "note": "Oudejaarsdag: open tot 13.00 uur"},
]
LOCATION_WRITE_EXAMPLE = {
    "external_id": "MBG-LOC-3",
    "organisation_id": "05757a36-617b-4498-acfe-7b4f47bdb4e6",
    "name": "Buurthuis De Voorbeeldhoek",
    "street": "Schetsboekstraat", "house_number": "18", "postcode": "4331FK", "city": "Middelburg",
    "lat": 51.497557, "lon": 3.611082,
    "accessibility_note": "Rolstoeltoegankelijk; invalidentoilet op de begane grond.",
    "opening_hours": _HOURS_EXAMPLE,
    "exceptions": _EXCEPTIONS_EXAMPLE,
    "last_verified_at": "2026-09-15T10:00:00Z",
}
LOCATION_EXAMPLE = {
    "id": "7dda06e9-ebd7-4a6a-b70b-c55f8197b4f8",
    "external_id": "MBG-LOC-3",
    "organisation_id": "05757a36-617b-4498-acfe-7b4f47bdb4e6",
    "name": "Buurthuis De Voorbeeldhoek",
    "address": {"street": "Schetsboekstraat", "house_number": "18", "postcode": "4331FK", "city": "Middelburg"},
    "lat": 51.497557, "lon": 3.611082,
    "accessibility_note": "Rolstoeltoegankelijk; invalidentoilet op de begane grond.",
    "opening_hours": _HOURS_EXAMPLE,
    "exceptions": _EXCEPTIONS_EXAMPLE,
    "version": 2, "created_at": "2025-03-10T09:00:00Z", "updated_at": "2026-09-15T10:00:00Z",
    "last_verified_at": "2026-09-15T10:00:00Z",
}


class LocationWrite(WriteSchema):
    model_config = ConfigDict(json_schema_extra=schema_examples(LOCATION_WRITE_EXAMPLE))

    id: uuid.UUID | None = None
    external_id: ExternalId | None = None
    organisation_id: uuid.UUID | None = None
    name: Name
    street: str | None = Field(default=None, max_length=200)
    house_number: str | None = Field(default=None, max_length=20)
    postcode: Postcode6 | None = None
    city: str | None = Field(default=None, max_length=100)
    lat: float = Field(ge=50.7, le=53.6, description="WGS84; within the Netherlands.")
    lon: float = Field(ge=3.3, le=7.3)
    accessibility_note: Text | None = None
    opening_hours: list[OpeningInterval] = Field(default_factory=list)
    exceptions: list[OpeningExceptionIn] = Field(default_factory=list)
    last_verified_at: CheckedAt | None = None

    @field_validator("opening_hours")
    @classmethod
    def _no_overlaps(cls, hours: list[OpeningInterval]) -> list[OpeningInterval]:
        by_day = sorted(hours, key=lambda i: (i.weekday, i.opens))
        for earlier, later in itertools.pairwise(by_day):
            if earlier.weekday == later.weekday and later.opens < earlier.closes:
                raise ValueError(f"intervals overlap on weekday {later.weekday}")
        return by_day

    @field_validator("exceptions")
    @classmethod
    def _one_per_date(cls, exceptions: list[OpeningExceptionIn]) -> list[OpeningExceptionIn]:
        dates = [e.date for e in exceptions]
        if len(dates) != len(set(dates)):
            raise ValueError("one exception per date")
        return sorted(exceptions, key=lambda e: e.date)


class LocationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(LOCATION_EXAMPLE))

    id: uuid.UUID
    external_id: str | None = Field(default=None, description="The maintainer's own key, if it set one.")
    organisation_id: uuid.UUID | None
    name: str = Field(examples=["Buurthuis De Voorbeeldhoek"])
    address: Address
    lat: float
    lon: float
    accessibility_note: str | None
    opening_hours: list[OpeningInterval]
    exceptions: list[OpeningExceptionIn]
    version: int
    created_at: datetime
    updated_at: datetime
    last_verified_at: datetime | None
