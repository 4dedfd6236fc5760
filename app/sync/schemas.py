from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.changelog.service import EntityType, Operation
from app.fields import schema_examples


class Change(BaseModel):
    position: int = Field(description="The change's place in commit order.")
    entity_type: EntityType
    entity_id: str
    operation: Operation = Field(description="upsert: store `entity`; delete: remove the entry (a tombstone).")
    version: int = Field(description="The entry's version after this change.")
    changed_at: datetime
    entity: dict[str, Any] | None = Field(
        description="For an upsert, the entry as it is now (so possibly a later version), normalised: other entries "
        "by id (a service's organisation_id and location_ids, without contacts; a front door's area_code, "
        "service_id and contact_id). Null for a delete, and for an upsert of an entry deleted since (its delete "
        "follows in the feed)."
    )


class ChangePage(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples({
        "items": [
            {"position": 4182, "entity_type": "contact", "entity_id": "a49b160b-7a16-4103-8691-b29d3f83daa3",
             "operation": "upsert", "version": 2, "changed_at": "2026-11-02T10:20:31Z",
             "entity": {"id": "a49b160b-7a16-4103-8691-b29d3f83daa3", "name": "Fenna Fictief", "role": "wijkcoach",
                        "service_id": "ab90fe43-31fa-46e8-bf12-0b335887934f", "phone": "06 22368959",
                        "redacted": [], "is_current": True, "areas": ["BU06870301"], "version": 2}},
            {"position": 4183, "entity_type": "front_door", "entity_id": "465a3911-5883-40b9-ae60-5f4b7c259892",
             "operation": "delete", "version": 3, "changed_at": "2026-11-02T10:24:05Z", "entity": None},
        ],
        "next_cursor": "4G0Jl7u6sSMFozLKmNoYOnsicyI6ImNoYW5nZXMiLCJrIjpbNDE4M119",
        "has_more": False,
    }))

    items: list[Change]
    next_cursor: str = Field(description="Pass as `since` next time; also when there was nothing new.")
    has_more: bool = Field(description="True when more changes are waiting right now.")
