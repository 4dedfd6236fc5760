import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

_PATCH_MODELS: dict[type[BaseModel], type[BaseModel]] = {}


def patch_model(write_schema: type[BaseModel]) -> type[BaseModel]:
    """The JSON merge-patch body of an entry: every field of its write schema, optional.

    Values are checked against the field's own rules here; the merged entry is checked
    as a whole (rules across fields) when it is saved.
    """
    if write_schema not in _PATCH_MODELS:
        fields: dict[str, Any] = {
            name: (field.rebuild_annotation() | None, None)
            for name, field in write_schema.model_fields.items()
            if name != "id"
        }
        _PATCH_MODELS[write_schema] = create_model(  # type: ignore[call-overload]
            f"{write_schema.__name__.removesuffix('Write')}Patch",
            __config__=ConfigDict(extra="forbid"),
            __doc__=f"Changes to {write_schema.__name__.removesuffix('Write').lower()} fields; "
            "those left out stay, null clears, objects merge (RFC 7396).",
            **fields,
        )
    return _PATCH_MODELS[write_schema]


def patch_changes(patch: BaseModel) -> dict[str, Any]:
    """Only what the client sent, nested objects included."""
    return patch.model_dump(exclude_unset=True)


class StaleService(BaseModel):
    id: uuid.UUID
    name: str
    last_verified_at: datetime | None


class StaleContact(BaseModel):
    id: uuid.UUID
    name: str
    role: str
    service_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    valid_until: date | None
    last_verified_at: datetime | None


class RetiredAreaUse(BaseModel):
    entity_type: str = Field(examples=["service"])
    id: uuid.UUID
    name: str
    area_code: str = Field(examples=["GM0003"], description="A code CBS has retired (herindeling).")


class StaleReport(BaseModel):
    gemeenten: list[str] | None = Field(description="The gemeenten reported on; null: all.")
    older_than_days: int
    services_not_verified: list[StaleService]
    contacts_not_verified: list[StaleContact]
    contacts_expiring: list[StaleContact] = Field(description="Validity ends within 30 days.")
    retired_area_uses: list[RetiredAreaUse]
