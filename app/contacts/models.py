"""Named contact persons who take referrals, and the areas they cover."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, Relationship, SQLModel

from app.db import UTCDateTime
from app.entity import CatalogueEntry, external_id_index


class ContactArea(SQLModel, table=True):
    __tablename__ = "contact_area"

    contact_id: uuid.UUID = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")
    area_code: str = Field(foreign_key="area.code", primary_key=True, index=True)


class Contact(CatalogueEntry, table=True):
    __tablename__ = "contact"
    __table_args__ = (
        CheckConstraint(
            "service_id IS NOT NULL OR organisation_id IS NOT NULL", name="contact_belongs_somewhere"
        ),
        CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until",
            name="contact_validity_order",
        ),
        external_id_index("contact"),
    )

    name: str
    role: str
    service_id: uuid.UUID | None = Field(default=None, foreign_key="service.id", index=True)
    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    # Professional direct lines: shown only to authenticated clients (app.visibility).
    phone: str | None = None
    email: str | None = None
    secure_messaging: str | None = None
    is_general: bool = False
    valid_from: date | None = None
    valid_until: date | None = None
    # Set when an admin erased this person (privacy): only a tombstone remains.
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When open reports first said it cannot be reached (app/reports): its reachability is
    # uncertain until it is verified after that.
    unreachable_reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    areas: list[ContactArea] = Relationship(
        sa_relationship_kwargs={"lazy": "raise", "cascade": "all, delete-orphan"}
    )
