"""A problem report is a kind and nothing else: free text would attract patient data."""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from app.fields import WriteSchema


class ReportKind(StrEnum):
    contact_niet_bereikbaar = "contact_niet_bereikbaar"
    telefoonnummer_klopt_niet = "telefoonnummer_klopt_niet"
    dienst_bestaat_niet_meer = "dienst_bestaat_niet_meer"
    gegevens_verouderd = "gegevens_verouderd"
    anders = "anders"


class ReportStatus(StrEnum):
    open = "open"
    resolved = "resolved"
    dismissed = "dismissed"


class ReportedEntity(StrEnum):
    service = "service"
    contact = "contact"
    location = "location"


class ReportCreate(WriteSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"kind": "contact_niet_bereikbaar"}]})

    kind: ReportKind


class ReportOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "5f0c3c1e-8a0b-4f7e-9a43-1c1f4b1f2a10", "entity_type": "contact",
        "entity_id": "094abe17-ca71-4bbe-8f81-1f7451548e66", "kind": "contact_niet_bereikbaar", "status": "open",
        "gemeenten": ["GM0687"], "created_at": "2026-12-14T09:12:00Z", "closed_at": None,
    }]})

    id: uuid.UUID
    entity_type: ReportedEntity
    entity_id: uuid.UUID
    kind: ReportKind
    status: ReportStatus
    gemeenten: list[str]
    created_at: datetime
    closed_at: datetime | None
