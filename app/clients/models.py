"""API clients (HIS integrations, POH tools, municipal maintainers) and their keys."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, Relationship, SQLModel

from app.db import UTCDateTime, utcnow


class Role(StrEnum):
    reader = "reader"  # reads with direct lines: HIS integrations
    practice = "practice"  # a GP practice: reads with direct lines, signs in to the practice page, refers
    editor = "editor"  # maintains the entries of its gemeenten (optionally: of some organisations)
    admin = "admin"  # everything, including clients and owner sets

    @property
    def edits(self) -> bool:
        """Editors and admins change the catalogue; readers and practices read it, direct lines included."""
        return self in (Role.editor, Role.admin)


class ClientGemeente(SQLModel, table=True):
    """A gemeente whose entries an editor maintains."""

    __tablename__ = "api_client_gemeente"

    client_id: uuid.UUID = Field(foreign_key="api_client.id", primary_key=True, ondelete="CASCADE")
    gemeente_code: str = Field(foreign_key="area.code", primary_key=True)


class ClientOrganisation(SQLModel, table=True):
    """An organisation an editor is limited to (a delegated welfare organisation)."""

    __tablename__ = "api_client_organisation"

    client_id: uuid.UUID = Field(foreign_key="api_client.id", primary_key=True, ondelete="CASCADE")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", primary_key=True)


class ApiClient(SQLModel, table=True):
    __tablename__ = "api_client"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    role: str = Field(sa_type=String(10))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    gemeenten: list[ClientGemeente] = Relationship(
        sa_relationship_kwargs={"lazy": "raise", "cascade": "all, delete-orphan"}
    )
    organisations: list[ClientOrganisation] = Relationship(
        sa_relationship_kwargs={"lazy": "raise", "cascade": "all, delete-orphan"}
    )


class ApiKey(SQLModel, table=True):
    """A key is stored only as its SHA-256 digest; `prefix` lets people tell keys apart."""

    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: uuid.UUID = Field(foreign_key="api_client.id", index=True, ondelete="CASCADE")
    prefix: str = Field(max_length=16)
    digest: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
