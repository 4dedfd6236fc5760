import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.fields import schema_examples


class Counts(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = Field(default=0, description="Rows that match the stored entry: left alone, nothing written.")


class RowChange(BaseModel):
    entity: str = Field(examples=["services"])
    file: str = Field(examples=["services.csv"])
    row: int = Field(description="As a spreadsheet numbers it: the header is row 1. In JSON: the item's position, from 1.")
    id: uuid.UUID | None = Field(
        description="The entry's id; null in a dry run for a new entry whose row gives none (the import gives it one)."
    )
    external_id: str | None
    action: Literal["create", "update"]
    fields: list[str] = Field(description="For an update: the fields that change.")


class ImportReport(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples({
        "dry_run": True,
        "counts": {"services": {"created": 1, "updated": 1, "unchanged": 40}},
        "changes": [
            {"entity": "services", "file": "services.csv", "row": 2, "id": "ab90fe43-31fa-46e8-bf12-0b335887934f",
             "external_id": "MBG-WMO-01", "action": "update", "fields": ["waiting_days", "waiting_reported_on"]},
            {"entity": "services", "file": "services.csv", "row": 3, "id": None,
             "external_id": "MBG-WMO-02", "action": "create", "fields": []},
        ],
        "changes_truncated": False,
    }))

    dry_run: bool = Field(description="True: this is what the import would do; nothing was written.")
    counts: dict[str, Counts] = Field(description="Per kind of entry.")
    changes: list[RowChange] = Field(description="The rows that create or change an entry (the first 1,000).")
    changes_truncated: bool = False


class RowError(BaseModel):
    entity: str | None
    file: str
    row: int | None = Field(description="Null for a problem with the whole file.")
    field: str = Field(examples=["waiting_days"], description="The CSV column (or JSON field) at fault.")
    message: str


class ImportBatch(BaseModel):
    """The JSON form of an import: a list per kind of entry, each item a write body of
    that kind (as PUT takes it) whose references may use ids or external ids. Fields
    left out keep their stored value; items are matched on `id`, else `external_id`."""

    model_config = ConfigDict(json_schema_extra=schema_examples({
        "services": [{"external_id": "MBG-WMO-01", "waiting_days": 14, "waiting_reported_on": "2026-11-01"}],
        "contacts": [{"external_id": "MBG-CON-41", "role": "schuldhulpverlener"}],
    }))

    organisations: list[dict[str, Any]] = Field(default_factory=list)
    locations: list[dict[str, Any]] = Field(default_factory=list)
    services: list[dict[str, Any]] = Field(default_factory=list)
    contacts: list[dict[str, Any]] = Field(default_factory=list)
    front_doors: list[dict[str, Any]] = Field(default_factory=list)

