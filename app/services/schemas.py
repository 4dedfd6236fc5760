import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.contacts.schemas import CONTACT_EXAMPLE, ContactOut
from app.fields import (
    CheckedAt,
    CodeList,
    ExternalId,
    GemeenteCode,
    LanguageCode,
    Name,
    ReportedOn,
    Text,
    WriteSchema,
    schema_examples,
    unique_codes,
)
from app.locations.schemas import LOCATION_EXAMPLE, LocationOut
from app.organisations.schemas import ORGANISATION_EXAMPLE, OrganisationRef
from app.taxonomy.vocabulary import AccessRoute, Cost, HouseholdType, ServiceStatus

Codes = Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], AfterValidator(unique_codes)]
Languages = Annotated[list[LanguageCode], AfterValidator(unique_codes)]


class EligibilityRules(WriteSchema):
    """Machine-readable rules; a rule left null (or false) does not apply."""

    min_age: int | None = Field(default=None, ge=0, le=120)
    max_age: int | None = Field(default=None, ge=0, le=120)
    must_live_in_area: bool = Field(default=False, description="Only for residents of the service areas.")
    max_income_pct_social_minimum: int | None = Field(
        default=None, ge=0, le=1000, examples=[120], description="Income at most this % of the social minimum."
    )
    household_types: Annotated[list[HouseholdType], AfterValidator(unique_codes)] = Field(default_factory=list)
    required_target_group: str | None = Field(default=None, max_length=40)
    needs_beschikking: bool = False
    needs_gp_referral: bool = False
    note: Text | None = None

    @field_validator("max_age")
    @classmethod
    def _ages_ordered(cls, max_age: int | None, info: ValidationInfo) -> int | None:
        min_age = info.data.get("min_age")
        if min_age is not None and max_age is not None and min_age > max_age:
            raise ValueError("max_age must not be below min_age")
        return max_age


class WaitingTime(BaseModel):
    days: int | None = Field(description="Reported waiting time in days.")
    reported_on: date | None = Field(description="The date the waiting time was reported.")


_ELIGIBILITY_EXAMPLE: dict[str, Any] = {
    "min_age": 18, "max_age": None, "must_live_in_area": True, "max_income_pct_social_minimum": 120,
    "household_types": [], "required_target_group": None, "needs_beschikking": False, "needs_gp_referral": False,
    "note": "Voor inwoners van Walcheren met betalingsachterstanden.",
}
_SERVICE_FIELDS = {
    "external_id": "MBG-WMO-01",
    "name": "Schuldhulpverlening Walcheren",
    "description": "Hulp bij geldzaken en schulden: een budgetcoach brengt de situatie in kaart en regelt betalingen.",
    "need_domains": ["financien"],
    "target_groups": ["jongvolwassenen"],
    "access_route": "vrij_toegankelijk",
    "cost": "free",
    "cost_note": "Gratis voor inwoners van Middelburg, Vlissingen en Veere.",
    "languages": ["en", "nl"],
}
SERVICE_WRITE_EXAMPLE = {
    **_SERVICE_FIELDS,
    "organisation_id": ORGANISATION_EXAMPLE["id"],
    "waiting_days": 10, "waiting_reported_on": "2026-10-01", "status": "active",
    "areas": ["GM0687", "GM0717", "GM0718"], "owners": ["GM0687"],
    "location_ids": [LOCATION_EXAMPLE["id"]],
    "eligibility": _ELIGIBILITY_EXAMPLE,
    "last_verified_at": "2026-09-20T09:00:00Z",
}
SERVICE_EXAMPLE: dict[str, Any] = {
    "id": "ab90fe43-31fa-46e8-bf12-0b335887934f",
    "organisation": {"id": ORGANISATION_EXAMPLE["id"], "name": ORGANISATION_EXAMPLE["name"]},
    **_SERVICE_FIELDS,
    "waiting_time": {"days": 10, "reported_on": "2026-10-01"},
    "status": "active",
    "areas": ["GM0687", "GM0717", "GM0718"],
    "owners": ["GM0687"],
    "eligibility": _ELIGIBILITY_EXAMPLE,
    "locations": [LOCATION_EXAMPLE],
    "contacts": [CONTACT_EXAMPLE],
    "version": 4, "created_at": "2025-03-10T09:00:00Z", "updated_at": "2026-10-01T08:12:40Z",
    "last_verified_at": "2026-09-20T09:00:00Z",
}


class ServiceWrite(WriteSchema):
    model_config = ConfigDict(json_schema_extra=schema_examples(SERVICE_WRITE_EXAMPLE))

    id: uuid.UUID | None = None
    external_id: ExternalId | None = None
    organisation_id: uuid.UUID
    name: Name = Field(examples=["Schuldhulpverlening Walcheren"])
    description: Text | None = None
    need_domains: Codes = Field(min_length=1, examples=[["financien"]])
    target_groups: Codes = Field(default_factory=list)
    access_route: AccessRoute
    cost: Cost = Cost.free
    cost_note: str | None = Field(default=None, max_length=300)
    languages: Languages = Field(default_factory=lambda: ["nl"])
    waiting_days: int | None = Field(default=None, ge=0, le=3650)
    waiting_reported_on: ReportedOn | None = None
    status: ServiceStatus = ServiceStatus.active
    areas: CodeList = Field(default_factory=list, description="Service areas; none = open to anyone.")
    owners: Annotated[list[GemeenteCode], AfterValidator(unique_codes)] | None = Field(
        default=None, description="Owning gemeenten; by default those of the organisation."
    )
    location_ids: Annotated[list[uuid.UUID], AfterValidator(unique_codes)] = Field(default_factory=list)
    eligibility: EligibilityRules | None = None
    last_verified_at: CheckedAt | None = None


class ServiceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(SERVICE_EXAMPLE))

    id: uuid.UUID
    external_id: str | None = Field(default=None, description="The maintainer's own key, if it set one.")
    organisation: OrganisationRef
    name: str = Field(examples=["Schuldhulpverlening Walcheren"])
    description: str | None
    need_domains: list[str] = Field(examples=[["financien"]])
    target_groups: list[str]
    access_route: AccessRoute
    cost: Cost
    cost_note: str | None
    languages: list[str] = Field(examples=[["nl", "en"]])
    waiting_time: WaitingTime
    status: ServiceStatus
    areas: list[str] = Field(description="Service areas; empty = open to anyone.")
    owners: list[str]
    eligibility: EligibilityRules | None
    locations: list[LocationOut]
    contacts: list[ContactOut] = Field(description="Current contact persons, the general one first.")
    version: int
    created_at: datetime
    updated_at: datetime
    last_verified_at: datetime | None
