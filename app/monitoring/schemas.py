"""The monitoring's tables: counts only, every one of 1 to 4 suppressed (app/monitoring/suppression.py)."""

import uuid

from pydantic import BaseModel, Field

Count = int | str
COUNT_DESCRIPTION = 'A count; "<5" for 1 to 4, "x" for one hidden so that a "<5" cannot be worked out.'


class ReferralCell(BaseModel):
    month: str = Field(examples=["2026-12"])
    gemeente: str | None = Field(examples=["GM0687"])
    need_domain: str = Field(examples=["financien"])
    service_id: uuid.UUID
    total: Count = Field(description=COUNT_DESCRIPTION)
    by_status: dict[str, Count] = Field(description="Where the referrals are now; sums to total.")
    by_outcome: dict[str, Count] = Field(description="How the afgesloten ones ended; sums to by_status.afgesloten.")
    niet_opgepakt: Count
    niet_opgepakt_share: float | None = Field(description="niet_opgepakt / total; null where either is hidden.")
    median_days_to_first_contact: float | None = Field(description="Null with fewer than 5 contacts made.")


class ReferralMonitoring(BaseModel):
    cells: list[ReferralCell]
    threshold: int = 5


class SearchCell(BaseModel):
    month: str
    gemeente: str | None
    dimension: str = Field(description="all (every search), domain (a need domain asked for) or stem (a word searched for).")
    value: str | None = Field(description="The need domain code or the word stem; null for all.")
    searches: Count
    found_nothing: Count = Field(description="Searches without a result within 5 km.")


class SearchMonitoring(BaseModel):
    cells: list[SearchCell]
    threshold: int = 5
