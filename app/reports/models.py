"""Problem reports on catalogue entries: a kind only, never free text."""

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class EntryReport(SQLModel, table=True):
    __tablename__ = "entry_report"
    __table_args__ = (Index("ix_entry_report_entity", "entity_type", "entity_id", "status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    entity_type: str = Field(sa_type=String(10))  # service, contact or location
    entity_id: uuid.UUID
    kind: str = Field(sa_type=String(30))
    status: str = Field(sa_type=String(10), index=True)  # open, resolved, dismissed
    reporter_client_id: uuid.UUID = Field(foreign_key="api_client.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by_client_id: uuid.UUID | None = Field(default=None, foreign_key="api_client.id", ondelete="SET NULL")


class EntryReportGemeente(SQLModel, table=True):
    """The gemeenten whose queue a report lands in: the entry's owners when it was made."""

    __tablename__ = "entry_report_gemeente"

    report_id: uuid.UUID = Field(foreign_key="entry_report.id", primary_key=True, ondelete="CASCADE")
    gemeente_code: str = Field(sa_type=String(6), primary_key=True, index=True)
