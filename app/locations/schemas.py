import uuid
from datetime import date, datetime, time

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from app.fields import ExternalId, LocalDateTime, LocalTime, Name, Postcode6, Text, WriteSchema


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


class LocationWrite(WriteSchema):
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
    last_verified_at: LocalDateTime | None = None

    @field_validator("opening_hours")
    @classmethod
    def _no_overlaps(cls, hours: list[OpeningInterval]) -> list[OpeningInterval]:
        by_day = sorted(hours, key=lambda i: (i.weekday, i.opens))
        for earlier, later in zip(by_day, by_day[1:]):
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
