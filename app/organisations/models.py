"""Organisations that offer services, and the gemeenten that own their entries."""

import uuid

from sqlmodel import Field, Relationship, SQLModel

from app.entity import CatalogueEntry, external_id_index


class OrganisationOwner(SQLModel, table=True):
    __tablename__ = "organisation_owner"

    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", primary_key=True, ondelete="CASCADE")
    gemeente_code: str = Field(foreign_key="area.code", primary_key=True, index=True)


class Organisation(CatalogueEntry, table=True):
    __tablename__ = "organisation"
    __table_args__ = (external_id_index("organisation"),)

    name: str = Field(index=True)
    kvk_number: str | None = Field(default=None, max_length=8)
    agb_code: str | None = Field(default=None, max_length=8)
    website: str | None = None
    phone: str | None = None
    email: str | None = None
    description: str | None = None

    owners: list[OrganisationOwner] = Relationship(
        sa_relationship_kwargs={"lazy": "raise", "cascade": "all, delete-orphan"}
    )
