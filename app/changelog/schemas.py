import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.fields import schema_examples


class AuditEntry(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples({
        "position": 4182, "at": "2026-11-02T10:20:31Z", "entity_type": "contact",
        "entity_id": "a49b160b-7a16-4103-8691-b29d3f83daa3", "action": "update", "version": 2,
        "actor": "client:Gemeente Middelburg, team sociale kaart", "client_id": "9b8f4758-ce5f-49c4-8b2d-fe5fd8f0cafe",
        "on_behalf_of": "j.jansen", "gemeenten": ["GM0687"], "changes": {"phone": ["0118 600 100", "06 22368959"]},
    }))

    position: int = Field(description="The change's place in commit order.")
    at: datetime
    entity_type: str = Field(examples=["contact"])
    entity_id: str
    action: str = Field(examples=["update"], description="create, update, delete, verify or erase.")
    version: int = Field(description="The entry's version after the change.")
    actor: str = Field(examples=["client:Gemeente Middelburg"], description="The API client, or seed:/cli: for the system.")
    client_id: uuid.UUID | None
    on_behalf_of: str | None = Field(description="The staff member named in X-On-Behalf-Of.")
    gemeenten: list[str] = Field(description="The gemeenten owning the entry at the time.")
    changes: dict[str, Any] | None = Field(
        examples=[{"phone": ["0118 600 100", "0118 600 200"]}], description="Each changed field: [before, after]."
    )
