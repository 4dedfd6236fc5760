"""Front doors (toegang): per area and topic, the entry point and whom to call."""

import uuid

from sqlalchemy import Index, text
from sqlmodel import Field

from app.entity import CatalogueEntry, external_id_index


class FrontDoor(CatalogueEntry, table=True):
    __tablename__ = "front_door"
    __table_args__ = (
        # One live front door per area and topic; deleted ones stay for the log.
        Index(
            "uq_front_door_area_topic_live",
            "area_code",
            "topic",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        external_id_index("front_door"),
    )

    area_code: str = Field(foreign_key="area.code", index=True)
    # A ZRM need-domain code or a statutory route (app.front_doors.schemas.StatutoryRoute).
    topic: str = Field(max_length=40, index=True)
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contact.id")
    note: str | None = None
