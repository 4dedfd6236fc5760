import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.fields import schema_examples

_PATCH_MODELS: dict[type[BaseModel], type[BaseModel]] = {}
_REPLACE_MODELS: dict[type[BaseModel], type[BaseModel]] = {}
# A patch example is the write schema's example cut down to the fields of a typical small change.
_PATCHED_IN_EXAMPLES = ("phone", "role", "waiting_days", "waiting_reported_on", "accessibility_note", "note")


def _patch_examples(write_schema: type[BaseModel]) -> list[dict[str, Any]]:
    extra = write_schema.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return [
        {name: value for name, value in example.items() if name in _PATCHED_IN_EXAMPLES}
        for example in (examples if isinstance(examples, list) else []) if isinstance(example, dict)
    ]


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
        _PATCH_MODELS[write_schema] = create_model(
            f"{write_schema.__name__.removesuffix('Write')}Patch",
            __config__=ConfigDict(extra="forbid", json_schema_extra=schema_examples(*_patch_examples(write_schema))),
            __doc__=f"Changes to {write_schema.__name__.removesuffix('Write').lower()} fields; "
            "those left out stay, null clears, objects merge (RFC 7396).",
            **fields,
        )
    return _PATCH_MODELS[write_schema]


def replace_model(
    write_schema: type[BaseModel], out_model: type[BaseModel], stands_for: Mapping[str, tuple[str, ...]]
) -> type[BaseModel]:
    """The PUT body of an entry: its write schema, plus the read-only fields of what GET
    returns, so a client may send back the body it read with its changes.

    A read-only field is accepted when it equals the stored value (and then ignored); a
    write field a read-only one stands for (`organisation` for `organisation_id`) may be
    left out when that one is sent, so it is optional here: the save checks the whole.
    """
    if write_schema not in _REPLACE_MODELS:
        implied = {name for names in stands_for.values() for name in names}
        fields: dict[str, Any] = {
            name: (field.rebuild_annotation() | None, None)
            for name, field in write_schema.model_fields.items() if name in implied and field.is_required()
        }
        for name, field in out_model.model_fields.items():
            if name not in write_schema.model_fields:
                fields[name] = (field.rebuild_annotation() | None, Field(
                    default=None, description="Read-only, as GET returns it: accepted when it equals the stored value.",
                ))
        kind = write_schema.__name__.removesuffix("Write")
        _REPLACE_MODELS[write_schema] = create_model(
            f"{kind}Replace",
            __base__=write_schema,  # its validators and config (unknown fields refused)
            __doc__=f"A whole {kind.lower()}: the fields of its write schema, or the body GET returned with changes "
            "(read-only fields must keep their stored values).",
            **fields,
        )
    return _REPLACE_MODELS[write_schema]


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
    model_config = ConfigDict(json_schema_extra=schema_examples({
        "gemeenten": ["GM0687"], "older_than_days": 365,
        "services_not_verified": [{"id": "db003ae6-aa56-4e50-8352-4fb0e0e33336", "name": "Bewegen voor ouderen in het dorpshuis",
                                   "last_verified_at": "2025-06-01T09:00:00Z"}],
        "contacts_not_verified": [],
        "contacts_expiring": [{"id": "aee00948-abc1-4798-9a70-3d0ddcea80a1", "name": "Eva Bedacht", "role": "dorpscoach",
                               "service_id": "2ba3a31f-70d4-4522-ad7a-8515e392e652",
                               "organisation_id": "1ebbcbd0-b1e4-4e6b-bba9-6f85b51c1337", "valid_until": "2026-11-30",
                               "last_verified_at": "2026-01-10T09:00:00Z"}],
        "retired_area_uses": [{"entity_type": "service", "id": "ab90fe43-31fa-46e8-bf12-0b335887934f",
                               "name": "Schuldhulpverlening Walcheren", "area_code": "GM0003"}],
        "signals": {"open_reports": 2, "referrals_niet_opgepakt": 1},
    }))

    gemeenten: list[str] | None = Field(description="The gemeenten reported on; null: all.")
    older_than_days: int
    services_not_verified: list[StaleService]
    contacts_not_verified: list[StaleContact]
    contacts_expiring: list[StaleContact] = Field(description="Validity ends within 30 days.")
    retired_area_uses: list[RetiredAreaUse]
    signals: dict[str, int] = Field(default_factory=dict, description=(
        "Counts that higher features publish for these gemeenten (register_signal): `open_reports`, the "
        "problem reports waiting in the queue (GET /api/v1/reports?status=open); `referrals_niet_opgepakt`, "
        "the referrals to their services nobody acknowledged in time (GET /api/v1/referrals?direction=incoming)."
    ))
