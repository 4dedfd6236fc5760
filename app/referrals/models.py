"""Referrals: a practice's referral to a service, known by a code, and its dated progress.

Nothing here names or describes a patient: the practice's own system links a code to its
patient, Wijkkaart only knows the service, the need domains, the urgency and the progress.
"""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, Identity, Index, Integer, String, text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class Referral(SQLModel, table=True):
    __tablename__ = "referral"
    __table_args__ = (
        # A practice's own list, newest first, and the monitoring's months.
        Index("ix_referral_practice_created", "practice_client_id", "created_at", "id"),
        Index("ix_referral_month_gemeente", "month", "gemeente_code"),
        # The referrals still waiting for acknowledgement, by deadline: the live part of niet_opgepakt.
        Index("ix_referral_waiting", "acknowledge_by", postgresql_where=text("acknowledged_at IS NULL"),
              sqlite_where=text("acknowledged_at IS NULL")),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(sa_type=String(16), unique=True)
    practice_client_id: uuid.UUID = Field(foreign_key="api_client.id", ondelete="CASCADE")
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contact.id")
    # The gemeente the referral counts for in monitoring: the service's first owner when it was made.
    gemeente_code: str | None = Field(default=None, sa_type=String(6))
    month: str = Field(sa_type=String(7))  # YYYY-MM, local: the monitoring's finest time unit
    urgency: str = Field(sa_type=String(10))
    status: str = Field(sa_type=String(20))
    outcome: str | None = Field(default=None, sa_type=String(20))
    passed_on_service_id: uuid.UUID | None = Field(default=None, foreign_key="service.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Not acknowledged (any status after `verstuurd`) by then: niet_opgepakt.
    acknowledge_by: datetime = Field(sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    days_to_contact: float | None = None


class ReferralDomain(SQLModel, table=True):
    __tablename__ = "referral_domain"

    referral_id: uuid.UUID = Field(foreign_key="referral.id", primary_key=True, ondelete="CASCADE")
    domain_code: str = Field(foreign_key="need_domain.code", primary_key=True)


class ReferralEvent(SQLModel, table=True):
    """One dated step of a referral; `position` orders the practices' change feed."""

    __tablename__ = "referral_event"
    __table_args__ = (
        Index("ix_referral_event_practice_position", "practice_client_id", "position"),
        {"sqlite_autoincrement": True},  # a purged step's position is never handed out again
    )

    # BIGINT on PostgreSQL; INTEGER PRIMARY KEY (the rowid) on SQLite.
    position: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True)
    )
    referral_id: uuid.UUID = Field(foreign_key="referral.id", index=True, ondelete="CASCADE")
    # The referring practice, copied so its feed reads one index range.
    practice_client_id: uuid.UUID = Field(foreign_key="api_client.id", ondelete="CASCADE")
    status: str = Field(sa_type=String(20))
    outcome: str | None = Field(default=None, sa_type=String(20))
    passed_on_service_id: uuid.UUID | None = Field(default=None, foreign_key="service.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReferralTally(SQLModel, table=True):
    """How many referrals of one month, gemeente, need domain and service are in each status
    and outcome, kept by every change (app/referrals/service.py): what monitoring reads instead
    of the referrals themselves, and what remains of them after a purge."""

    __tablename__ = "referral_tally"

    month: str = Field(sa_type=String(7), primary_key=True)
    gemeente_code: str = Field(sa_type=String(6), primary_key=True)  # '' for a service without owners
    domain_code: str = Field(sa_type=String(40), primary_key=True)
    service_id: uuid.UUID = Field(primary_key=True)
    status: str = Field(sa_type=String(20), primary_key=True)
    outcome: str = Field(sa_type=String(20), primary_key=True)  # '' before afgesloten
    referrals: int = 0
    acknowledged_late: int = 0  # of them, acknowledged after their deadline


class ReferralContactDays(SQLModel, table=True):
    """How many referrals of one cell reached first contact within their first, second, …
    day (0: the day they were made): the histogram the median days to first contact is read from."""

    __tablename__ = "referral_contact_days"

    month: str = Field(sa_type=String(7), primary_key=True)
    gemeente_code: str = Field(sa_type=String(6), primary_key=True)
    domain_code: str = Field(sa_type=String(40), primary_key=True)
    service_id: uuid.UUID = Field(primary_key=True)
    days: int = Field(primary_key=True)  # whole days, rounded down
    referrals: int = 0
