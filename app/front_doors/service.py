"""Front doors: reads and the one save path."""

import hashlib
import uuid
from functools import partial

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.areas.models import Area
from app.areas.schemas import AreaRef, PostcodeOut
from app.areas.service import area_specificity, require_areas, resolve_postcode
from app.changelog.service import EntityType, record_save
from app.clients.scope import Actor, authorize_write, gemeente_of
from app.clock import local_today
from app.contacts import service as contacts
from app.contacts.models import Contact
from app.db import table_of
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
from app.pagination import decode_cursor, encode_cursor, keyset_page
from app.services.models import Service
from app.services.owners import service_attachment
from app.taxonomy.service import require_front_door_topics
from app.visibility import Viewer


def to_outs(session: Session, doors: list[FrontDoor], viewer: Viewer) -> list[FrontDoorOut]:
    today = local_today()
    areas = {a.code: a for a in session.exec(select(Area).where(col(Area.code).in_({d.area_code for d in doors}))).all()}
    services = {s.id: s for s in session.exec(select(Service).where(col(Service.id).in_({d.service_id for d in doors}))).all()}
    contact_ids = {d.contact_id for d in doors if d.contact_id}
    people = {
        c.id: c
        for c in session.exec(
            # A deleted person is no one to call (erasure unnames them; older data may still name one).
            select(Contact).where(col(Contact.id).in_(contact_ids), is_live(Contact)).options(*contacts.CONTACT_LOAD)
        ).all()
    }
    return [
        FrontDoorOut(
            **door.model_dump(include={
                "id", "external_id", "topic", "note", "version", "created_at", "updated_at", "last_verified_at",
            }),
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


def _with_topics(
    session: Session, statement: SelectOfScalar[FrontDoor], topics: list[str]
) -> SelectOfScalar[FrontDoor]:
    """Only front doors for any of `topics` (none: all); an unknown topic is a 422 on `topic`."""
    if not topics:
        return statement
    require_front_door_topics(session, topics, "topic")
    return statement.where(col(FrontDoor.topic).in_(topics))


def list_front_doors(
    session: Session, viewer: Viewer, *, area_code: str | None, topics: list[str], cursor: str | None, limit: int
) -> tuple[list[FrontDoorOut], str | None]:
    statement = _with_topics(session, select(FrontDoor).where(is_live(FrontDoor)), topics)
    if area_code:
        statement = statement.where(col(FrontDoor.area_code) == area_code)
    rows, next_cursor = keyset_page(
        session, statement, scope="front-doors",
        order=[FrontDoor.area_code, FrontDoor.topic, FrontDoor.id],  # type: ignore[list-item]  # SQLModel types columns and relationships as their Python values
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
            Attachment("contact_id", frozenset({data.contact_id} - {None}), partial(contacts.contact_ownerships, session)),  # type: ignore[arg-type]  # the set difference drops None, which mypy cannot follow
        ),
        gemeenten_field="area_code", organisations_field="service_id",
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


def _require_contact_of_service(session: Session, data: FrontDoorWrite, before: FrontDoorWrite | None) -> None:
    """The person to call must be one of the front door's service's contacts. Checked when
    either of the two is set or changed, so a stored door that breaks the rule can still move
    (re-division) or take a new note; the 422 names the field the write changed."""
    if data.contact_id is None or (before and (before.service_id, before.contact_id) == (data.service_id, data.contact_id)):
        return
    contact = session.get_one(Contact, data.contact_id)
    if contact.service_id != data.service_id:
        changed_service_only = before is not None and before.contact_id == data.contact_id
        raise InvalidInput(
            f"Contact {data.contact_id} is not a contact of service {data.service_id}: a front door's contact must "
            "be one of its service's contacts (or null, to offer whom the service puts forward).",
            field="service_id" if changed_service_only else "contact_id",
        )


def save_front_door(session: Session, data: FrontDoorWrite, actor: Actor) -> tuple[FrontDoor, bool]:
    require_areas(session, [data.area_code], "area_code")
    require_front_door_topics(session, [data.topic], "topic")
    require_reference(session, Service, data.service_id, "service_id")
    require_reference(session, Contact, data.contact_id, "contact_id")
    entity_id = data.id or uuid.uuid4()
    data = data.model_copy(update={"id": entity_id})
    existing = load_for_save(session, FrontDoor, data.id)
    before = as_write(existing) if existing else None
    after = ownership(session, data)
    authorize_write(actor, ownership(session, before) if before else None, after)
    if existing is not None and before == data:
        return existing, False
    _require_contact_of_service(session, data, before)
    require_unique_external_id(session, FrontDoor, entity_id, data.external_id)
    _require_free_place(session, data)
    door = existing or FrontDoor(id=entity_id, area_code=data.area_code, topic=data.topic, service_id=data.service_id)
    for name, value in data.model_dump(exclude={"id"}).items():
        setattr(door, name, value)
    record_save(session, EntityType.front_door, door, actor, before, data, after.gemeenten)
    return door, True


def _postcode_scope(postcode: str, topics: list[str]) -> str:
    """A postcode answer's cursor holds for the postcode and topics it was issued for."""
    return "front-doors:" + hashlib.sha256(f"{postcode}|{','.join(sorted(set(topics)))}".encode()).hexdigest()[:16]


def front_doors_for_postcode(
    session: Session, viewer: Viewer, postcode: str, *, topics: list[str], cursor: str | None, limit: int
) -> tuple[PostcodeOut, list[FrontDoorOut], str | None]:
    """Per topic, the most specific front door for this postcode's area (buurt, wijk, gemeente),
    with its current contact: the named one if still current, else whom the service
    would put forward for this area. Between areas of one level (a PC4 that spans several
    buurten or wijken) the lowest CBS code wins; the place returned shows that there were several.
    Ordered by topic and paged like a list."""
    statement = _with_topics(session, select(FrontDoor).where(is_live(FrontDoor)), topics)
    place = resolve_postcode(session, postcode)
    levels = area_specificity(
        [b.code for b in place.buurten], [w.code for w in place.wijken], place.gemeente.code if place.gemeente else None
    )
    doors = session.exec(statement.where(col(FrontDoor.area_code).in_(levels))).all()
    best: dict[str, FrontDoor] = {}
    for door in sorted(doors, key=lambda d: (levels[d.area_code], d.area_code), reverse=True):
        best[door.topic] = door  # the most specific comes last and wins
    chosen = sorted(best.values(), key=lambda d: d.topic)
    scope = _postcode_scope(place.postcode, topics)
    if cursor is not None:
        (after,) = decode_cursor(scope, cursor, [table_of(FrontDoor).c.topic])
        chosen = [door for door in chosen if door.topic > after]
    next_cursor = encode_cursor(scope, [chosen[limit - 1].topic]) if len(chosen) > limit else None
    chosen = chosen[:limit]
    outs = to_outs(session, chosen, viewer)
    today = local_today()
    stale = [i for i, out in enumerate(outs) if out.contact is None or not out.contact.is_current]
    people = contacts.current_contacts_by_service(session, [chosen[i].service_id for i in stale], today)
    for i in stale:
        person = contacts.choose_contact(people[chosen[i].service_id], levels)
        outs[i].contact = contacts.to_out(person, viewer, today) if person else None
    return place, outs, next_cursor
