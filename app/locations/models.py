"""Locations where services are offered, with weekly hours and dated exceptions."""

import uuid
from datetime import date, time

from sqlalchemy import Index
from sqlmodel import Field, Relationship, SQLModel

from app.entity import CatalogueEntry, external_id_index


class OpeningHours(SQLModel, table=True):
    """One interval on a weekday (0 = Monday); a day may have several."""

    __tablename__ = "opening_hours"

    id: int | None = Field(default=None, primary_key=True)
    location_id: uuid.UUID = Field(foreign_key="location.id", index=True, ondelete="CASCADE")
    weekday: int
    opens: time
    closes: time


class OpeningException(SQLModel, table=True):
    """A dated exception: closed all day (no times) or open at other hours."""

    __tablename__ = "opening_exception"

    id: int | None = Field(default=None, primary_key=True)
    location_id: uuid.UUID = Field(foreign_key="location.id", index=True, ondelete="CASCADE")
    date: date
    opens: time | None = None
    closes: time | None = None
    note: str | None = None


class Location(CatalogueEntry, table=True):
    __tablename__ = "location"
    __table_args__ = (
        Index("ix_location_lat_lon", "lat", "lon"),
        # Covers the ranking's lookup of a candidate's locations (migration 0010).
        Index("ix_location_id_point", "id", "deleted_at", "lat", "lon"),
        external_id_index("location"),
    )

    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    name: str
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = Field(default=None, max_length=6, index=True)
    city: str | None = None
    lat: float
    lon: float
    accessibility_note: str | None = None

    opening_hours: list[OpeningHours] = Relationship(
        sa_relationship_kwargs={
            "lazy": "raise",
            "cascade": "all, delete-orphan",
            "order_by": "(OpeningHours.weekday, OpeningHours.opens)",
        }
    )
    exceptions: list[OpeningException] = Relationship(
        sa_relationship_kwargs={
            "lazy": "raise",
            "cascade": "all, delete-orphan",
            "order_by": "OpeningException.date",
        }
    )
