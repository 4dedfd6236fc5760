import uuid
from datetime import date, datetime, time
from typing import Self

from pydantic import BaseModel, Field, model_validator

from app.fields import WriteSchema, Name, Postcode6, Text


class OpeningInterval(WriteSchema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")
    opens: time = Field(examples=["09:00"])
    closes: time = Field(examples=["12:30"])

    @model_validator(mode="after")
    def _opens_before_closes(self) -> Self:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        return self


class OpeningExceptionIn(WriteSchema):
    date: date
    opens: time | None = Field(default=None, description="Null with closes null: closed all day.")
    closes: time | None = None
    note: str | None = Field(default=None, max_length=200, examples=["Eerste Kerstdag"])

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.opens is None) != (self.closes is None):
            raise ValueError("give both opens and closes, or neither for a day closed")
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        return self


class Address(BaseModel):
    street: str | None
    house_number: str | None
    postcode: str | None
    city: str | None


class LocationWrite(WriteSchema):
    id: uuid.UUID | None = None
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
    last_verified_at: datetime | None = None

    @model_validator(mode="after")
    def _no_overlaps(self) -> Self:
        by_day = sorted(self.opening_hours, key=lambda i: (i.weekday, i.opens))
        for earlier, later in zip(by_day, by_day[1:]):
            if earlier.weekday == later.weekday and later.opens < earlier.closes:
                raise ValueError(f"opening_hours overlap on weekday {later.weekday}")
        self.opening_hours = by_day
        dates = [e.date for e in self.exceptions]
        if len(dates) != len(set(dates)):
            raise ValueError("exceptions: one exception per date")
        self.exceptions = sorted(self.exceptions, key=lambda e: e.date)
        return self


class LocationOut(BaseModel):
    id: uuid.UUID
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
