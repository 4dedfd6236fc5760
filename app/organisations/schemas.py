import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from app.fields import (
    CheckedAt,
    DutchPhone,
    EightDigits,
    ExternalId,
    GemeenteCode,
    Name,
    Text,
    Url,
    WriteSchema,
    schema_examples,
    unique_codes,
)

ORGANISATION_WRITE_EXAMPLE = {
    "external_id": "MBG-ORG-12",
    "name": "Stichting Welzijn Voorbeeld Walcheren",
    "kvk_number": "41101400",
    "agb_code": "12345678",
    "website": "https://welzijn-voorbeeld.example/",
    "phone": "0118 430 500",
    "email": "info@welzijn-voorbeeld.example",
    "description": "Welzijnswerk (fictief) voor de drie Walcherse gemeenten.",
    "owners": ["GM0687", "GM0717", "GM0718"],
    "last_verified_at": "2026-09-01T09:00:00Z",
}
ORGANISATION_EXAMPLE = {
    "id": "05757a36-617b-4498-acfe-7b4f47bdb4e6", **ORGANISATION_WRITE_EXAMPLE,
    "version": 3, "created_at": "2025-03-10T09:00:00Z", "updated_at": "2026-09-01T09:00:00Z",
}


class OrganisationWrite(WriteSchema):
    """An organisation as a maintainer sends it (and as the seed files hold it)."""

    model_config = ConfigDict(json_schema_extra=schema_examples(ORGANISATION_WRITE_EXAMPLE))

    id: uuid.UUID | None = None
    external_id: ExternalId | None = None
    name: Name = Field(examples=["Stichting Welzijn Voorbeeld Walcheren"])
    kvk_number: EightDigits | None = Field(default=None, description="KvK number, 8 digits.")
    agb_code: EightDigits | None = Field(default=None, description="AGB code of a care provider, 8 digits.")
    website: Url | None = None
    phone: DutchPhone | None = None
    email: EmailStr | None = None
    description: Text | None = None
    owners: Annotated[list[GemeenteCode], AfterValidator(unique_codes)] = Field(
        min_length=1, description="The gemeenten that own (maintain) this entry."
    )
    last_verified_at: CheckedAt | None = None


class OrganisationRef(BaseModel):
    id: uuid.UUID
    name: str


class OrganisationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(ORGANISATION_EXAMPLE))

    id: uuid.UUID
    external_id: str | None = Field(default=None, description="The maintainer's own key, if it set one.")
    name: str = Field(examples=["Stichting Welzijn Voorbeeld Walcheren"])
    kvk_number: str | None
    agb_code: str | None
    website: str | None
    phone: str | None
    email: str | None
    description: str | None
    owners: list[str] = Field(examples=[["GM0687", "GM0717", "GM0718"]])
    version: int
    created_at: datetime
    updated_at: datetime
    last_verified_at: datetime | None
