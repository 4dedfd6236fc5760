"""The catalogue entries the maintenance API writes, and what a write needs of each."""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.changelog.service import EntityType
from app.clients.scope import Actor
from app.contacts import service as contacts
from app.contacts.models import Contact
from app.contacts.schemas import ContactWrite
from app.entity import CatalogueEntry, Ownership, is_live
from app.front_doors import service as front_doors
from app.front_doors.models import FrontDoor
from app.front_doors.schemas import FrontDoorWrite
from app.locations import service as locations
from app.locations.models import Location
from app.locations.schemas import LocationWrite
from app.organisations import service as organisations
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationWrite
from app.services import service as services
from app.services.models import Service, ServiceLocation
from app.services.schemas import ServiceWrite
from app.visibility import Viewer

WRITER = Viewer(authenticated=True)


@dataclass(frozen=True)
class Maintained:
    entity_type: EntityType
    model: type[CatalogueEntry]
    write_schema: type[BaseModel]
    load: Sequence[Any]  # loader options as_write needs
    as_write: Callable[[Any], BaseModel]
    save: Callable[[Session, Any, Actor], tuple[Any, bool]]
    ownership: Callable[[Session, Any], Ownership]
    # The live entry as GET shows it to the writer: its ETag and its read-only fields.
    read: Callable[[Session, uuid.UUID], BaseModel]
    # Live entries that would dangle if this one went: a delete is refused while there are any.
    dependents: Callable[[Session, uuid.UUID], dict[str, int]] = lambda _session, _id: {}
    # A field of the read shape -> the write fields it shows (GET's `organisation` shows
    # `organisation_id`): a PUT that sends the read shape keeps those as stored.
    stands_for: Mapping[str, tuple[str, ...]] = dataclass_field(default_factory=dict)


def _count_live(session: Session, model: type[CatalogueEntry], *conditions: Any) -> int:
    return session.exec(select(func.count()).select_from(model).where(is_live(model), *conditions)).one()


def _organisation_dependents(session: Session, organisation_id: uuid.UUID) -> dict[str, int]:
    return {
        "services": _count_live(session, Service, Service.organisation_id == organisation_id),
        "locations": _count_live(session, Location, Location.organisation_id == organisation_id),
        "contacts": _count_live(session, Contact, Contact.organisation_id == organisation_id),
    }


def _service_dependents(session: Session, service_id: uuid.UUID) -> dict[str, int]:
    return {
        "front doors": _count_live(session, FrontDoor, FrontDoor.service_id == service_id),
        "contacts": _count_live(session, Contact, Contact.service_id == service_id),
    }


def _contact_dependents(session: Session, contact_id: uuid.UUID) -> dict[str, int]:
    # A front door that named a deleted person would send the POH to someone who has left.
    return {"front doors": _count_live(session, FrontDoor, FrontDoor.contact_id == contact_id)}


def _location_dependents(session: Session, location_id: uuid.UUID) -> dict[str, int]:
    using = select(ServiceLocation.service_id).where(ServiceLocation.location_id == location_id)
    return {"services": _count_live(session, Service, col(Service.id).in_(using))}


ORGANISATION = Maintained(
    EntityType.organisation, Organisation, OrganisationWrite, organisations.ORGANISATION_LOAD,
    organisations.as_write, organisations.save_organisation, organisations.ownership, organisations.get_organisation,
    dependents=_organisation_dependents,
)
SERVICE = Maintained(
    EntityType.service, Service, ServiceWrite, services.SERVICE_LOAD,
    services.as_write, services.save_service, services.ownership,
    lambda session, entity_id: services.get_service(session, entity_id, WRITER),
    dependents=_service_dependents,
    stands_for={
        "organisation": ("organisation_id",), "waiting_time": ("waiting_days", "waiting_reported_on"),
        "locations": ("location_ids",),
    },
)
LOCATION = Maintained(
    EntityType.location, Location, LocationWrite, locations.LOCATION_LOAD,
    locations.as_write, locations.save_location, locations.ownership, locations.get_location,
    dependents=_location_dependents,
    stands_for={"address": ("street", "house_number", "postcode", "city")},
)
CONTACT = Maintained(
    EntityType.contact, Contact, ContactWrite, contacts.CONTACT_LOAD,
    contacts.as_write, contacts.save_contact, contacts.ownership,
    lambda session, entity_id: contacts.get_contact(session, entity_id, WRITER),
    dependents=_contact_dependents,
)
FRONT_DOOR = Maintained(
    EntityType.front_door, FrontDoor, FrontDoorWrite, (),
    front_doors.as_write, front_doors.save_front_door, front_doors.ownership,
    lambda session, entity_id: front_doors.get_front_door(session, entity_id, WRITER),
    stands_for={"area": ("area_code",), "service": ("service_id",), "contact": ("contact_id",)},
)
