"""The one change log that every write path appends to."""

from datetime import datetime

from sqlalchemy import BigInteger, Column, Identity, Index, Integer
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
