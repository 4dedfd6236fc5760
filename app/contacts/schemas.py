import uuid
from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator, model_validator

from app.fields import CheckedAt, CodeList, DutchPhone, ExternalId, Name, WriteSchema, schema_examples

CONTACT_WRITE_EXAMPLE = {
    "external_id": "MBG-CON-41",
    "name": "Fenna Fictief",
    "role": "wijkcoach",
    "service_id": "ab90fe43-31fa-46e8-bf12-0b335887934f",
    "organisation_id": "05757a36-617b-4498-acfe-7b4f47bdb4e6",
    "phone": "06 22368959",
    "email": "f.fictief@welzijn-voorbeeld.example",
    "secure_messaging": "f.fictief@zorgmail.example",
    "is_general": False,
    "valid_from": "2026-02-01",
    "valid_until": "2027-12-31",
    "areas": ["BU06870301", "BU06870302"],
    "last_verified_at": "2026-09-15T09:00:00Z",
}
_CONTACT_FIELDS = {name: value for name, value in CONTACT_WRITE_EXAMPLE.items() if name not in ("areas", "last_verified_at")}
CONTACT_EXAMPLE = {
    "id": "a49b160b-7a16-4103-8691-b29d3f83daa3", **_CONTACT_FIELDS, "redacted": [], "is_current": True,
    "areas": ["BU06870301", "BU06870302"], "version": 1, "created_at": "2026-01-20T09:00:00Z",
    "updated_at": "2026-01-20T09:00:00Z", "last_verified_at": "2026-09-15T09:00:00Z",
}


class ContactWrite(WriteSchema):
    model_config = ConfigDict(json_schema_extra=schema_examples(CONTACT_WRITE_EXAMPLE))

    id: uuid.UUID | None = None
    external_id: ExternalId | None = None
    name: Name = Field(examples=["Fenna Fictief"])
    role: Name = Field(examples=["wijkcoach"])
    service_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    phone: DutchPhone | None = None
    email: EmailStr | None = None
    secure_messaging: str | None = Field(default=None, max_length=200)
    is_general: bool = Field(default=False, description="The default contact when no area-specific one fits.")
    valid_from: date | None = None
    valid_until: date | None = None
    areas: CodeList = Field(default_factory=list, description="Areas this person covers.")
    last_verified_at: CheckedAt | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.service_id is None and self.organisation_id is None:
            raise ValueError("a contact belongs to a service or an organisation: give service_id or organisation_id")
        return self

    @field_validator("valid_until")
    @classmethod
    def _ends_after_start(cls, valid_until: date | None, info: ValidationInfo) -> date | None:
        valid_from = info.data.get("valid_from")
        if valid_from and valid_until and valid_from > valid_until:
            raise ValueError("valid_until must not be before valid_from")
        return valid_until


class ContactOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(CONTACT_EXAMPLE))

    id: uuid.UUID
    external_id: str | None = Field(default=None, description="The maintainer's own key, if it set one.")
    name: str = Field(examples=["Fenna Fictief"])
    role: str = Field(examples=["wijkcoach"])
    service_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    phone: str | None = Field(description="Direct line; null unless the client is authenticated.")
    email: str | None
    secure_messaging: str | None
    redacted: list[str] = Field(
        examples=[["phone", "email", "secure_messaging"]],
        description="The direct-line fields withheld from this client.",
    )
    is_general: bool
    valid_from: date | None
    valid_until: date | None
    is_current: bool = Field(description="Within its validity today. An expired contact is never current.")
    reachability_uncertain: bool = Field(default=False, description=(
        "Bereikbaarheid onzeker: three open reports say this person cannot be reached, and nobody verified "
        "the contact since."
    ))
    areas: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    last_verified_at: datetime | None


class Mention(BaseModel):
    entity_type: str = Field(examples=["front_door"])
    id: uuid.UUID
    field: str = Field(examples=["note"], description="The free-text field, as the entry's write body names it.")


ERASURE_EXAMPLE = {
    "id": "a49b160b-7a16-4103-8691-b29d3f83daa3", "erased_at": "2026-10-01T09:00:00Z",
    "mentions": [{"entity_type": "front_door", "id": "6f0b2d0e-8c1e-4c52-9a0a-3f7f8d2b1c11", "field": "note"}],
}


class Erasure(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(ERASURE_EXAMPLE))

    id: uuid.UUID
    erased_at: datetime
    mentions: list[Mention] = Field(description=(
        "Live entries whose free text (descriptions, notes, a contact's role) still names the person "
        "(full name, first name or surname, as whole words in any case): erasure does not rewrite prose, so "
        "edit these. Only the erasure that removed the name can say; erasing again lists none."
    ))
