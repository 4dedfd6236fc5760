import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.clients.models import Role
from app.db import utcnow
from app.fields import GemeenteCode, LocalDateTime, Name, WriteSchema, schema_examples, unique_codes

CLIENT_WRITE_EXAMPLE = {"name": "Gemeente Middelburg, team sociale kaart", "role": "editor", "gemeenten": ["GM0687"],
                        "organisations": []}
_KEY_EXAMPLE = {"id": "032c56d7-0ca8-419d-9bee-0ed73d241e55", "prefix": "wk_yJJhDwo4", "created_at": "2026-11-02T10:15:00Z",
                "expires_at": "2027-11-02T00:00:00Z", "revoked_at": None}
_SECRET_EXAMPLE = "wk_yJJhDwo4Qd0m8Zr1LxV5aTq2Nw7Ke3Pu9Hs6Bc4Fg"
CLIENT_EXAMPLE = {
    "id": "9b8f4758-ce5f-49c4-8b2d-fe5fd8f0cafe", **CLIENT_WRITE_EXAMPLE,
    "created_at": "2026-11-02T10:15:00Z", "revoked_at": None, "keys": [_KEY_EXAMPLE],
}


class ClientWrite(WriteSchema):
    model_config = ConfigDict(json_schema_extra=schema_examples(CLIENT_WRITE_EXAMPLE))

    name: Name = Field(examples=["Gemeente Middelburg, team sociale kaart"])
    role: Role = Field(description="reader: reads with direct lines (HIS); practice: a GP practice, reads with direct lines; "
                            "editor: maintains its gemeenten; admin: all.")
    gemeenten: Annotated[list[GemeenteCode], AfterValidator(unique_codes)] = Field(
        default_factory=list, examples=[["GM0687"]], description="For editors: the gemeenten it maintains."
    )
    organisations: Annotated[list[uuid.UUID], AfterValidator(unique_codes)] = Field(
        default_factory=list,
        description="For editors, optionally: only these organisations' entries (organisations its gemeenten own).",
    )

    @model_validator(mode="after")
    def _scope_fits_role(self) -> Self:
        if self.role == Role.editor and not self.gemeenten:
            raise ValueError("an editor needs at least one gemeente in `gemeenten`")
        if self.role != Role.editor and (self.gemeenten or self.organisations):
            raise ValueError("only editors are limited to gemeenten or organisations")
        return self


def _in_the_future(moment: datetime) -> datetime:
    if moment <= utcnow():
        raise ValueError("a moment in the future: a key that has expired already would never work")
    return moment


KeyExpiry = Annotated[LocalDateTime, AfterValidator(_in_the_future)]


class ClientCreate(ClientWrite):
    model_config = ConfigDict(
        json_schema_extra=schema_examples({**CLIENT_WRITE_EXAMPLE, "key_expires_at": "2027-11-02T00:00:00Z"})
    )

    key_expires_at: KeyExpiry | None = Field(default=None, description="When the first key stops working.")


class KeyCreate(WriteSchema):
    model_config = ConfigDict(json_schema_extra=schema_examples({"expires_at": "2027-11-02T00:00:00Z"}))

    expires_at: KeyExpiry | None = None


class KeyOut(BaseModel):
    id: uuid.UUID
    prefix: str = Field(examples=["wk_Zt3q9xQa"], description="The key's first characters, to tell keys apart.")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    model_config = ConfigDict(json_schema_extra=schema_examples({**_KEY_EXAMPLE, "key": _SECRET_EXAMPLE}))

    key: str = Field(description="The key itself. Shown once: only its digest is stored.")


class ClientOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(CLIENT_EXAMPLE))

    id: uuid.UUID
    name: str
    role: Role
    gemeenten: list[str]
    organisations: list[uuid.UUID]
    created_at: datetime
    revoked_at: datetime | None
    keys: list[KeyOut]


class ClientCreated(ClientOut):
    model_config = ConfigDict(json_schema_extra=schema_examples({**CLIENT_EXAMPLE, "key": _SECRET_EXAMPLE}))

    key: str = Field(description="The first key. Shown once: only its digest is stored.")
