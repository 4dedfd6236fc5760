"""What a referral looks like over the API: no field can carry anything about the patient."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.fields import WriteSchema, schema_examples, unique_codes


class Urgency(StrEnum):
    normaal = "normaal"
    spoed = "spoed"


class Status(StrEnum):
    verstuurd = "verstuurd"  # sent by the practice, not yet acknowledged
    ontvangen = "ontvangen"
    contact_gelegd = "contact_gelegd"
    intake_gedaan = "intake_gedaan"
    afgesloten = "afgesloten"


# The order a referral moves in: forward only, steps may be skipped, afgesloten is final.
STATUS_ORDER = list(Status)


class Outcome(StrEnum):
    geholpen = "geholpen"
    doorverwezen = "doorverwezen"
    past_niet = "past_niet"  # not eligible, or the wrong service
    niet_bereikt = "niet_bereikt"  # the patient was not reached
    afgezien = "afgezien"  # the patient declined


_EXAMPLE: dict[str, Any] = {
    "code": "WK-MHS6-7MS5-TR6", "service_id": "ab90fe43-31fa-46e8-bf12-0b335887934f", "contact_id": None,
    "need_domains": ["financien"], "urgency": "normaal", "status": "contact_gelegd", "outcome": None,
    "passed_on_service_id": None, "created_at": "2026-12-14T09:12:00Z", "updated_at": "2026-12-15T10:02:00Z",
    "acknowledged_at": "2026-12-14T13:40:00Z", "niet_opgepakt": False,
    "steps": [{"status": "verstuurd", "outcome": None, "passed_on_service_id": None, "at": "2026-12-14T09:12:00Z"},
              {"status": "ontvangen", "outcome": None, "passed_on_service_id": None, "at": "2026-12-14T13:40:00Z"},
              {"status": "contact_gelegd", "outcome": None, "passed_on_service_id": None,
               "at": "2026-12-15T10:02:00Z"}],
}


class ReferralCreate(WriteSchema):
    """Only these fields: anything else (a name, a BSN, a date of birth, a postcode) is refused."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "service_id": "ab90fe43-31fa-46e8-bf12-0b335887934f", "need_domains": ["financien"], "urgency": "normaal",
    }]})

    service_id: uuid.UUID
    contact_id: uuid.UUID | None = Field(default=None, description="The named contact the practice spoke to, if any.")
    need_domains: Annotated[list[Annotated[str, Field(max_length=40)]], AfterValidator(unique_codes)] = Field(
        min_length=1, max_length=13, description="Need domain codes (GET /api/v1/taxonomy).", examples=[["financien"]],
    )
    urgency: Urgency = Urgency.normaal


class StatusChange(WriteSchema):
    """A step of progress: a status, with an outcome when closing. No free text."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"status": "contact_gelegd"}, {"status": "afgesloten", "outcome": "geholpen"},
        {"status": "afgesloten", "outcome": "doorverwezen", "passed_on_service_id": "2ba3a31f-70d4-4522-ad7a-8515e392e652"},
    ]})

    status: Literal[Status.ontvangen, Status.contact_gelegd, Status.intake_gedaan, Status.afgesloten]
    outcome: Outcome | None = None
    passed_on_service_id: uuid.UUID | None = Field(default=None, description="With outcome doorverwezen: where to.")

    @model_validator(mode="after")
    def _outcome_only_when_closing(self) -> "StatusChange":
        if self.status == Status.afgesloten and self.outcome is None:
            raise ValueError("outcome: afgesloten needs an outcome")
        if self.status != Status.afgesloten and self.outcome is not None:
            raise ValueError("outcome: only afgesloten has an outcome")
        if self.passed_on_service_id is not None and self.outcome != Outcome.doorverwezen:
            raise ValueError("passed_on_service_id: only with outcome doorverwezen")
        return self


class Step(BaseModel):
    status: Status
    outcome: Outcome | None
    passed_on_service_id: uuid.UUID | None
    at: datetime


class ReferralSummary(BaseModel):
    """A referral as lists show it."""

    model_config = ConfigDict(json_schema_extra=schema_examples({k: v for k, v in _EXAMPLE.items() if k != "steps"}))

    code: str = Field(description="Read it aloud or print it on the handout; the practice's system links it to the patient.")
    service_id: uuid.UUID
    contact_id: uuid.UUID | None
    need_domains: list[str]
    urgency: Urgency
    status: Status
    outcome: Outcome | None
    passed_on_service_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    niet_opgepakt: bool = Field(description="Nobody acknowledged it within the set number of working days.")


class ReferralOut(ReferralSummary):
    model_config = ConfigDict(json_schema_extra=schema_examples(_EXAMPLE))

    steps: list[Step] = Field(description="Each change of status, dated, oldest first.")


class ReferralChange(BaseModel):
    """One entry of the practice's change feed."""

    position: int
    code: str
    status: Status
    outcome: Outcome | None
    passed_on_service_id: uuid.UUID | None
    at: datetime


class ReferralChangePage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "items": [{"position": 41, "code": "WK-MHS6-7MS5-TR6", "status": "contact_gelegd", "outcome": None,
                   "passed_on_service_id": None, "at": "2026-12-15T10:02:00Z"}],
        "next_cursor": "Fq3kS0xZeyJzIjoicmVmZXJyYWwtY2hhbmdlcyIsImsiOls0MV19",
    }]})

    items: list[ReferralChange]
    next_cursor: str = Field(description="Pass as `cursor` next time; the same when nothing is new.")
