import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, EmailStr, Field

from app.fields import (
    DutchPhone,
    EightDigits,
    ExternalId,
    GemeenteCode,
    LocalDateTime,
    Name,
    Text,
    Url,
    WriteSchema,
    unique_codes,
)


class OrganisationWrite(WriteSchema):
    """An organisation as a maintainer sends it (and as the seed files hold it)."""

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
    last_verified_at: LocalDateTime | None = None


class OrganisationRef(BaseModel):
    id: uuid.UUID
    name: str


class OrganisationOut(BaseModel):
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
