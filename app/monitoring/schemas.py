"""The monitoring's tables: counts only, every one of 1 to 4 suppressed (app/monitoring/suppression.py)."""

import uuid

from pydantic import BaseModel, ConfigDict, Field

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
    model_config = ConfigDict(json_schema_extra={"examples": [{"threshold": 5, "cells": [{
        "month": "2026-12", "gemeente": "GM0687", "need_domain": "financien",
        "service_id": "ab90fe43-31fa-46e8-bf12-0b335887934f", "total": 12,
        "by_status": {"verstuurd": "<5", "ontvangen": 0, "contact_gelegd": "x", "intake_gedaan": 0, "afgesloten": "<5"},
        "by_outcome": {"geholpen": "<5", "doorverwezen": 0, "past_niet": 0, "niet_bereikt": 0, "afgezien": 0},
        "niet_opgepakt": 0, "niet_opgepakt_share": 0.0, "median_days_to_first_contact": 2.5,
    }]}]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [{"threshold": 5, "cells": [
        {"month": "2026-12", "gemeente": "GM0687", "dimension": "all", "value": None, "searches": 412, "found_nothing": 9},
        {"month": "2026-12", "gemeente": "GM0687", "dimension": "stem", "value": "mantelzorg", "searches": 37,
         "found_nothing": "<5"},
    ]}]})

    cells: list[SearchCell]
    threshold: int = 5
