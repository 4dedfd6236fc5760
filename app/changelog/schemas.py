import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntry(BaseModel):
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
