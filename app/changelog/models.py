"""The one change log that every write path appends to; it is also the audit trail."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Identity, Index, Integer
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class ChangeLogEntry(SQLModel, table=True):
    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_log_entity", "entity_type", "entity_id"),
        {"sqlite_autoincrement": True},
    )

    # Strictly increasing commit order (see app.dialect.lock_change_log).
    # BIGINT on PostgreSQL; INTEGER PRIMARY KEY (the rowid) on SQLite.
    position: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True
        ),
    )
    entity_type: str = Field(max_length=20)
    entity_id: str = Field(max_length=36)
    operation: str = Field(max_length=10)
    version: int
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str
    # Audit: which API client (null for the seed and the CLI), for which staff member,
    # what it did (create / update / delete / verify / erase) and the fields it changed.
    # No foreign key: the trail outlives anything it names.
    client_id: uuid.UUID | None = Field(default=None, index=True)
    on_behalf_of: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=10)
    changes: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class ChangeLogGemeente(SQLModel, table=True):
    """The gemeenten owning the entry at the time of a change: the audit's gemeente filter."""

    __tablename__ = "change_log_gemeente"

    position: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"),
            ForeignKey("change_log.position", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    gemeente_code: str = Field(max_length=6, primary_key=True, index=True)
