import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.areas.schemas import AreaRef
from app.contacts.schemas import ContactOut
from app.fields import AreaCode, ExternalId, LocalDateTime, Text, WriteSchema


class FrontDoorWrite(WriteSchema):
    id: uuid.UUID | None = None
    external_id: ExternalId | None = None
    area_code: AreaCode
    topic: str = Field(
        min_length=1, max_length=40, examples=["financien", "wmo_2015"],
        description="A ZRM need-domain code or a statutory route (see GET /api/v1/taxonomy).",
    )
    service_id: uuid.UUID
    contact_id: uuid.UUID | None = None
    note: Text | None = None
    last_verified_at: LocalDateTime | None = None


class ServiceRef(BaseModel):
    id: uuid.UUID
    name: str


class FrontDoorOut(BaseModel):
    id: uuid.UUID
    external_id: str | None = Field(default=None, description="The maintainer's own key, if it set one.")
    area: AreaRef
    topic: str = Field(examples=["financien"])
    service: ServiceRef
    contact: ContactOut | None = Field(description="The named person to call, with `is_current`.")
    note: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    last_verified_at: datetime | None
