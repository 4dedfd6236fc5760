import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.areas.schemas import AreaRef, PostcodeOut
from app.contacts.schemas import CONTACT_EXAMPLE, ContactOut
from app.fields import AreaCode, CheckedAt, ExternalId, Text, WriteSchema, schema_examples
from app.pagination import Page, page_examples

FRONT_DOOR_WRITE_EXAMPLE = {
    "external_id": "MBG-TOE-7",
    "area_code": "BU06870301",
    "topic": "financien",
    "service_id": CONTACT_EXAMPLE["service_id"],
    "contact_id": CONTACT_EXAMPLE["id"],
    "note": "Buurtcoach met vaste spreekuren in Dauwendaele.",
    "last_verified_at": "2026-09-15T09:00:00Z",
}
FRONT_DOOR_EXAMPLE = {
    "id": "465a3911-5883-40b9-ae60-5f4b7c259892",
    "external_id": "MBG-TOE-7",
    "area": {"code": "BU06870301", "kind": "buurt", "name": "Dauwendaele"},
    "topic": "financien",
    "service": {"id": CONTACT_EXAMPLE["service_id"], "name": "Schuldhulpverlening Walcheren"},
    "contact": CONTACT_EXAMPLE,
    "note": "Buurtcoach met vaste spreekuren in Dauwendaele.",
    "version": 1, "created_at": "2026-01-20T09:00:00Z", "updated_at": "2026-01-20T09:00:00Z",
    "last_verified_at": "2026-09-15T09:00:00Z",
}
# 4337 spans two buurten: the financien door above is Dauwendaele's, not Mortiere's.
FRONT_DOOR_PLACE_EXAMPLE = {
    "postcode": "4337", "pc4": "4337", "resolved_via": "pc4", "place": "Middelburg",
    "lat": 51.4878403, "lon": 3.6310466, "gemeente": {"code": "GM0687", "kind": "gemeente", "name": "Middelburg"},
    "wijken": [{"code": "WK068703", "kind": "wijk", "name": "Wijk 03 Middelburg-Zuidoost"}],
    "buurten": [
        {"code": "BU06870301", "kind": "buurt", "name": "Dauwendaele", "approximate": True},
        {"code": "BU06870309", "kind": "buurt", "name": "Mortiere", "approximate": True},
    ],
}


class FrontDoorWrite(WriteSchema):
    model_config = ConfigDict(json_schema_extra=schema_examples(FRONT_DOOR_WRITE_EXAMPLE))

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
    last_verified_at: CheckedAt | None = None


class ServiceRef(BaseModel):
    id: uuid.UUID
    name: str


class FrontDoorOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(FRONT_DOOR_EXAMPLE))

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


class FrontDoorPage(Page[FrontDoorOut]):
    model_config = ConfigDict(json_schema_extra=lambda schema, page: page_examples(
        schema, page, "items", {"next_cursor": None, "limit": 50, "place": FRONT_DOOR_PLACE_EXAMPLE},
    ))

    place: PostcodeOut | None = Field(
        description="With `postcode`: the place as resolved, as GET /api/v1/postcodes/{postcode} gives it. An item "
        "chosen at a buurt while `buurten` lists several (or at a wijk while `wijken` does) is that area's front "
        "door: a patient elsewhere in the postcode may have another. Null without `postcode`."
    )
