"""What the search derives from the catalogue, to read it fast. Only the index
(app/search/index/) writes these tables, from the catalogue's own."""

import uuid

from sqlalchemy import Text
from sqlmodel import Field, SQLModel


class SearchCard(SQLModel, table=True):
    """One catalogue entry's part of a search result, as JSON, rendered when the entry is
    written (app/search/cards.py): a page reads twenty of these instead of building them."""

    __tablename__ = "search_card"

    kind: str = Field(primary_key=True, max_length=16)  # service, location or contact
    entity_id: uuid.UUID = Field(primary_key=True)
    # The card layout it was rendered in: cards of another one are read as missing.
    format: int
    body: str = Field(sa_type=Text)


class ServiceOpenLocation(SQLModel, table=True):
    """The location links of the services open to anyone (without service areas), which
    the search's radius level reads from its key alone."""

    __tablename__ = "service_open_location"

    location_id: uuid.UUID = Field(primary_key=True)
    service_id: uuid.UUID = Field(primary_key=True, index=True)


class ServiceAnywhere(SQLModel, table=True):
    """The services with neither service areas nor locations (a telephone line, an online
    course), which the search's last level reads."""

    __tablename__ = "service_anywhere"

    service_id: uuid.UUID = Field(primary_key=True)


class ServiceAreaDomain(SQLModel, table=True):
    """A service's area links by its need domains, which a search with a domain reads by
    area and domain."""

    __tablename__ = "service_area_domain"

    area_code: str = Field(primary_key=True)
    domain_code: str = Field(primary_key=True)
    service_id: uuid.UUID = Field(primary_key=True, index=True)


class ServicePoint(SQLModel, table=True):
    """A service's live locations with their coordinates, which a search reads by service to
    measure its nearest location."""

    __tablename__ = "service_point"

    service_id: uuid.UUID = Field(primary_key=True)
    location_id: uuid.UUID = Field(primary_key=True, index=True)
    lat: float
    lon: float


class ServiceAreaDocument(SQLModel, table=True):
    """A service's area links with its search stems (a leading space, then the stems), which
    a search with q reads by area: an area's services and their documents in one pass."""

    __tablename__ = "service_area_document"

    area_code: str = Field(primary_key=True)
    service_id: uuid.UUID = Field(primary_key=True, index=True)
    document: str = Field(sa_type=Text)
