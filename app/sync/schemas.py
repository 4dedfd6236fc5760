from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.changelog.service import EntityType, Operation


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
    items: list[Change]
    next_cursor: str = Field(description="Pass as `since` next time; also when there was nothing new.")
    has_more: bool = Field(description="True when more changes are waiting right now.")
