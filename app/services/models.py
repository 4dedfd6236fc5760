"""Services (the offerings) and what hangs off them: domains, groups, areas, eligibility."""

import uuid
from datetime import date

from sqlalchemy import JSON, Index, String
from sqlmodel import Field, Relationship, SQLModel

from app.entity import CatalogueEntry, external_id_index
from app.locations.models import Location
from app.organisations.models import Organisation
from app.taxonomy.vocabulary import Cost, ServiceStatus


class ServiceNeedDomain(SQLModel, table=True):
    __tablename__ = "service_need_domain"

    service_id: uuid.UUID = Field(foreign_key="service.id", primary_key=True, ondelete="CASCADE")
    domain_code: str = Field(foreign_key="need_domain.code", primary_key=True, index=True)


class ServiceTargetGroup(SQLModel, table=True):
    __tablename__ = "service_target_group"

    service_id: uuid.UUID = Field(foreign_key="service.id", primary_key=True, ondelete="CASCADE")
    group_code: str = Field(foreign_key="target_group.code", primary_key=True, index=True)


class ServiceArea(SQLModel, table=True):
    """An area the service is for; a service without any is open to anyone."""

    __tablename__ = "service_area"
    # Covering: a search reads an area's services from the index alone.
    __table_args__ = (Index("ix_service_area_area_code_service", "area_code", "service_id"),)

    service_id: uuid.UUID = Field(foreign_key="service.id", primary_key=True, ondelete="CASCADE")
    area_code: str = Field(foreign_key="area.code", primary_key=True)


class ServiceOwner(SQLModel, table=True):
    __tablename__ = "service_owner"

    service_id: uuid.UUID = Field(foreign_key="service.id", primary_key=True, ondelete="CASCADE")
    gemeente_code: str = Field(foreign_key="area.code", primary_key=True, index=True)


class ServiceLocation(SQLModel, table=True):
    __tablename__ = "service_location"
    # Covering: the search's radius level reads a location's services from the index alone.
    __table_args__ = (Index("ix_service_location_location_service", "location_id", "service_id"),)

    service_id: uuid.UUID = Field(foreign_key="service.id", primary_key=True, ondelete="CASCADE")
    location_id: uuid.UUID = Field(foreign_key="location.id", primary_key=True)


class Eligibility(SQLModel, table=True):
    """Machine-readable eligibility rules of one service. A null rule does not apply."""

    __tablename__ = "eligibility"

    service_id: uuid.UUID = Field(foreign_key="service.id", primary_key=True, ondelete="CASCADE")
    min_age: int | None = None
    max_age: int | None = None
    must_live_in_area: bool = False
    max_income_pct_social_minimum: int | None = None
    household_types: list[str] = Field(default_factory=list, sa_type=JSON)
    required_target_group: str | None = Field(default=None, foreign_key="target_group.code")
    needs_beschikking: bool = False
    needs_gp_referral: bool = False
    note: str | None = None


class Service(CatalogueEntry, table=True):
    __tablename__ = "service"
    # ix_service_id_state covers the ranking's lookup of each candidate (migration 0010).
    __table_args__ = (Index("ix_service_id_state", "id", "deleted_at", "status"), external_id_index("service"))

    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(index=True)
    description: str | None = None
    access_route: str = Field(sa_type=String(20), index=True)
    cost: str = Field(default=Cost.free, sa_type=String(20))
    cost_note: str | None = None
    languages: list[str] = Field(default_factory=lambda: ["nl"], sa_type=JSON)
    waiting_days: int | None = None
    waiting_reported_on: date | None = None
    status: str = Field(default=ServiceStatus.active, sa_type=String(10), index=True)

    organisation: Organisation = Relationship(sa_relationship_kwargs={"lazy": "raise"})
    need_domains: list[ServiceNeedDomain] = Relationship(
        sa_relationship_kwargs={"lazy": "raise", "cascade": "all, delete-orphan"}
    )
    target_groups: list[ServiceTargetGroup] = Relationship(
        sa_relationship_kwargs={"lazy": "raise", "cascade": "all, delete-orphan"}
    )
    areas: list[ServiceArea] = Relationship(
        sa_relationship_kwargs={"lazy": "raise", "cascade": "all, delete-orphan"}
    )
    owners: list[ServiceOwner] = Relationship(
        sa_relationship_kwargs={"lazy": "raise", "cascade": "all, delete-orphan"}
    )
    locations: list[Location] = Relationship(
        link_model=ServiceLocation,
        sa_relationship_kwargs={"lazy": "raise", "order_by": "Location.name"},
    )
    eligibility: Eligibility | None = Relationship(
        sa_relationship_kwargs={"lazy": "raise", "cascade": "all, delete-orphan", "uselist": False}
    )
