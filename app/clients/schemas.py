import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from app.clients.models import Role
from app.fields import GemeenteCode, Name, WriteSchema, unique_codes


class ClientWrite(WriteSchema):
    name: Name = Field(examples=["Gemeente Middelburg, team sociale kaart"])
    role: Role = Field(description="reader: reads with direct lines; editor: maintains its gemeenten; admin: all.")
    gemeenten: Annotated[list[GemeenteCode], AfterValidator(unique_codes)] = Field(
        default_factory=list, examples=[["GM0687"]], description="For editors: the gemeenten it maintains."
    )
    organisations: Annotated[list[uuid.UUID], AfterValidator(unique_codes)] = Field(
        default_factory=list, description="For editors, optionally: only these organisations' entries."
    )

    @model_validator(mode="after")
    def _scope_fits_role(self) -> Self:
        if self.role == Role.editor and not self.gemeenten:
            raise ValueError("an editor needs at least one gemeente in `gemeenten`")
        if self.role != Role.editor and (self.gemeenten or self.organisations):
            raise ValueError("only editors are limited to gemeenten or organisations")
        return self


class ClientCreate(ClientWrite):
    key_expires_at: datetime | None = Field(default=None, description="When the first key stops working.")


class KeyCreate(WriteSchema):
    expires_at: datetime | None = None


class KeyOut(BaseModel):
    id: uuid.UUID
    prefix: str = Field(examples=["wk_Zt3q9xQa"], description="The key's first characters, to tell keys apart.")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    key: str = Field(description="The key itself. Shown once: only its digest is stored.")


class ClientOut(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    gemeenten: list[str]
    organisations: list[uuid.UUID]
    created_at: datetime
    revoked_at: datetime | None
    keys: list[KeyOut]


class ClientCreated(ClientOut):
    key: str = Field(description="The first key. Shown once: only its digest is stored.")
