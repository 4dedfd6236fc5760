"""Front doors: reads and the one save path."""

import uuid
from functools import partial

from sqlmodel import Session, col, select

from app.areas.models import Area
from app.areas.schemas import AreaRef
from app.areas.service import area_specificity, require_areas, resolve_postcode
from app.changelog.service import EntityType, record_save
from app.clients.scope import Actor, authorize_write, gemeente_of
from app.clock import local_today
from app.contacts import service as contacts
from app.contacts.models import Contact
from app.entity import (
    Attachment,
    Ownership,
    get_live,
    is_live,
    load_for_save,
    require_reference,
    require_unique_external_id,
)
from app.errors import Conflict, InvalidInput
from app.front_doors.models import FrontDoor
from app.front_doors.schemas import FrontDoorOut, FrontDoorWrite, ServiceRef
from app.pagination import keyset_page
from app.services.models import Service
from app.services.owners import service_attachment
from app.taxonomy.service import is_front_door_topic
from app.visibility import Viewer


def to_outs(session: Session, doors: list[FrontDoor], viewer: Viewer) -> list[FrontDoorOut]:
    today = local_today()
    areas = {a.code: a for a in session.exec(select(Area).where(col(Area.code).in_({d.area_code for d in doors}))).all()}
    services = {s.id: s for s in session.exec(select(Service).where(col(Service.id).in_({d.service_id for d in doors}))).all()}
    contact_ids = {d.contact_id for d in doors if d.contact_id}
    people = {
        c.id: c
        for c in session.exec(
            select(Contact).where(col(Contact.id).in_(contact_ids)).options(*contacts.CONTACT_LOAD)
        ).all()
    }
    return [
        FrontDoorOut(
            **door.model_dump(include={"id", "external_id", "topic", "note", "version", "created_at", "updated_at", "last_verified_at"}),
            area=AreaRef(code=door.area_code, kind=areas[door.area_code].kind, name=areas[door.area_code].name),
            service=ServiceRef(id=door.service_id, name=services[door.service_id].name),
            contact=contacts.to_out(people[door.contact_id], viewer, today) if door.contact_id in people else None,
        )
        for door in doors
    ]


def as_write(door: FrontDoor) -> FrontDoorWrite:
    return FrontDoorWrite.model_validate(door.model_dump(exclude={"deleted_at", "version", "created_at", "updated_at"}))


def get_front_door(session: Session, door_id: uuid.UUID, viewer: Viewer) -> FrontDoorOut:
    return to_outs(session, [get_live(session, FrontDoor, door_id)], viewer)[0]


def list_front_doors(
    session: Session, viewer: Viewer, *, area_code: str | None, topic: str | None, cursor: str | None, limit: int
) -> tuple[list[FrontDoorOut], str | None]:
    statement = select(FrontDoor).where(is_live(FrontDoor))
    if area_code:
        statement = statement.where(FrontDoor.area_code == area_code)
    if topic:
        statement = statement.where(FrontDoor.topic == topic)
    rows, next_cursor = keyset_page(
        session, statement, scope="front-doors",
        order=[FrontDoor.area_code, FrontDoor.topic, FrontDoor.id],  # type: ignore[list-item]
        cursor=cursor, limit=limit,
    )
    return to_outs(session, rows, viewer), next_cursor


def ownership(session: Session, data: FrontDoorWrite) -> Ownership:
    """A front door belongs to the gemeente of its area."""
    service = session.get(Service, data.service_id)
    return Ownership(
        gemeenten=frozenset({gemeente_of(data.area_code)}),
        organisations=frozenset({service.organisation_id}) if service else frozenset(),
        areas=frozenset({data.area_code}),
        areas_field="area_code",
        attached=(
            service_attachment(session, data.service_id, gives_owners=False),
            Attachment("contact_id", frozenset({data.contact_id} - {None}), partial(contacts.contact_ownerships, session)),  # type: ignore[arg-type]
        ),
    )


def _require_free_place(session: Session, data: FrontDoorWrite) -> None:
    """409, not the database's unique-index error, when another live front door already
    serves this topic in this area: there is one per area and topic."""
    other = session.exec(select(FrontDoor.id).where(
        FrontDoor.area_code == data.area_code, FrontDoor.topic == data.topic, FrontDoor.id != data.id, is_live(FrontDoor),
    )).first()
    if other is not None:
        raise Conflict(f"Front door {other} already serves {data.topic!r} in {data.area_code}; change that one instead.",
                       field="topic")


def save_front_door(session: Session, data: FrontDoorWrite, actor: Actor) -> tuple[FrontDoor, bool]:
    require_areas(session, [data.area_code], "area_code")
    if not is_front_door_topic(session, data.topic):
        raise InvalidInput(
            f"'{data.topic}' is neither a need domain nor a statutory route; see GET /api/v1/taxonomy.", field="topic"
        )
    require_reference(session, Service, data.service_id, "service_id")
    require_reference(session, Contact, data.contact_id, "contact_id")
    data = data.model_copy(update={"id": data.id or uuid.uuid4()})
    existing = load_for_save(session, FrontDoor, data.id)
    before = as_write(existing) if existing else None
    after = ownership(session, data)
    authorize_write(actor, ownership(session, before) if before else None, after)
    if existing is not None and before == data:
        return existing, False
    require_unique_external_id(session, FrontDoor, data.id, data.external_id)
    _require_free_place(session, data)
    door = existing or FrontDoor(id=data.id, area_code=data.area_code, topic=data.topic, service_id=data.service_id)
    for name, value in data.model_dump(exclude={"id"}).items():
        setattr(door, name, value)
    record_save(session, EntityType.front_door, door, actor, before, data, after.gemeenten)
    return door, True


def front_doors_for_postcode(session: Session, viewer: Viewer, postcode: str) -> list[FrontDoorOut]:
    """Per topic, the most specific front door for this postcode's area (buurt, wijk, gemeente),
    with its current contact: the named one if still current, else whom the service
    would put forward for this area."""
    place = resolve_postcode(session, postcode)
    levels = area_specificity(
        [b.code for b in place.buurten], [w.code for w in place.wijken], place.gemeente.code if place.gemeente else None
    )
    doors = session.exec(select(FrontDoor).where(is_live(FrontDoor), col(FrontDoor.area_code).in_(levels))).all()
    best: dict[str, FrontDoor] = {}
    for door in sorted(doors, key=lambda d: (levels[d.area_code], d.area_code), reverse=True):
        best[door.topic] = door  # the most specific comes last and wins
    chosen = sorted(best.values(), key=lambda d: d.topic)
    outs = to_outs(session, chosen, viewer)
    today = local_today()
    stale = [i for i, out in enumerate(outs) if out.contact is None or not out.contact.is_current]
    people = contacts.current_contacts_by_service(session, [chosen[i].service_id for i in stale], today)
    for i in stale:
        person = contacts.choose_contact(people[chosen[i].service_id], levels)
        outs[i].contact = contacts.to_out(person, viewer, today) if person else None
    return outs
