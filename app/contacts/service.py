"""Contact persons: validity, the visibility-aware view, reads and the one save path."""

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Date, and_, bindparam, or_
from sqlalchemy import select as core_select
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.areas.service import require_areas
from app.changelog.service import Action, EntityType, record_save, scrub_changes, write_and_record
from app.clients.scope import Actor, authorize_write, gemeente_of
from app.clock import local_today
from app.contacts.models import Contact, ContactArea
from app.contacts.schemas import ContactOut, ContactWrite, Erasure, Mention
from app.db import table_of, utcnow
from app.entity import (
    NO_OWNERS,
    Ownership,
    as_record,
    get_live,
    is_live,
    load_for_save,
    require_reference,
    require_unique_external_id,
)
from app.errors import Conflict, NotFound
from app.front_doors.models import FrontDoor
from app.locations.models import Location, OpeningException
from app.organisations.models import Organisation
from app.organisations.service import organisation_attachment, organisation_owners
from app.pagination import keyset_page
from app.services.models import Eligibility, Service
from app.services.owners import service_attachment, service_ownerships
from app.visibility import Viewer, redact_direct_lines

CONTACT_LOAD = (selectinload(Contact.areas),)  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values


def is_current(contact: Contact, today: date) -> bool:
    return (
        contact.deleted_at is None
        and (contact.valid_from is None or contact.valid_from <= today)
        and (contact.valid_until is None or today <= contact.valid_until)
    )


def current_clause(today: date | BindParameter[date]) -> ColumnElement[bool]:
    """The SQL twin of is_current."""
    return and_(
        is_live(Contact),
        or_(col(Contact.valid_from).is_(None), col(Contact.valid_from) <= today),
        or_(col(Contact.valid_until).is_(None), col(Contact.valid_until) >= today),
    )


_OUT_FIELDS = tuple(
    name for name in Contact.model_fields if name not in ("deleted_at", "erased_at", "unreachable_reported_at")
)


def reachability_uncertain(unreachable_reported_at: datetime | None, last_verified_at: datetime | None) -> bool:
    """Reported unreachable (app/reports) and not verified since."""
    return unreachable_reported_at is not None and (last_verified_at is None or last_verified_at < unreachable_reported_at)


def to_out(contact: Contact | Any, viewer: Viewer, today: date) -> ContactOut:
    """The only way a contact leaves this service: direct lines go through visibility.

    `contact` is a Contact or a record read like one (current_contacts_by_service)."""
    values = {name: getattr(contact, name) for name in _OUT_FIELDS}
    return ContactOut(
        **redact_direct_lines(values, viewer),
        is_current=is_current(contact, today),
        reachability_uncertain=reachability_uncertain(contact.unreachable_reported_at, contact.last_verified_at),
        areas=sorted(area.area_code for area in contact.areas),
    )


def card_view(card: dict[str, Any], viewer: Viewer, today: date) -> dict[str, Any]:
    """to_out for a contact's search card (app/search/cards.py), as JSON data."""
    day = today.isoformat()  # ISO dates compare as text
    current = (card["valid_from"] or day) <= day <= (card["valid_until"] or day)
    return {**redact_direct_lines(card, viewer), "is_current": current}


def choice_record(card: dict[str, Any]) -> SimpleNamespace:
    """A contact's search card read as choose_contact reads a contact; `card` is the card."""
    verified = card["last_verified_at"]
    return SimpleNamespace(
        id=card["id"], is_general=card["is_general"], card=card,
        last_verified_at=datetime.fromisoformat(verified) if verified else None,
        areas=[SimpleNamespace(area_code=code) for code in card["areas"]],
    )


def as_write(contact: Contact) -> ContactWrite:
    return ContactWrite(
        **contact.model_dump(exclude={
            "deleted_at", "erased_at", "unreachable_reported_at", "version", "created_at", "updated_at",
        }),
        areas=[area.area_code for area in contact.areas],
    )


def get_contact(session: Session, contact_id: uuid.UUID, viewer: Viewer) -> ContactOut:
    return to_out(get_live(session, Contact, contact_id, CONTACT_LOAD), viewer, local_today())


def list_contacts(
    session: Session,
    viewer: Viewer,
    *,
    service_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None,
    include_expired: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[ContactOut], str | None]:
    today = local_today()
    statement = select(Contact).where(is_live(Contact)).options(*CONTACT_LOAD)
    if not include_expired:
        statement = statement.where(current_clause(today))
    if service_id:
        statement = statement.where(Contact.service_id == service_id)
    if organisation_id:
        statement = statement.where(Contact.organisation_id == organisation_id)
    rows, next_cursor = keyset_page(
        session, statement, scope="contacts", order=[Contact.name, Contact.id],  # type: ignore[list-item]  # SQLModel types columns and relationships as their Python values
        cursor=cursor, limit=limit,
    )
    return [to_out(row, viewer, today) for row in rows], next_cursor


_contact, _contact_area = table_of(Contact), table_of(ContactArea)
_TODAY = bindparam("today", type_=Date())
# Built once, with the ids and today as parameters: service reads and front doors run it on every request.
# With the areas each covers (one row per area; area_code null without areas); id keeps
# a contact's rows together.
_CURRENT_BY_SERVICE = (
    core_select(_contact, _contact_area.c.area_code.label("covers"))
    .outerjoin(_contact_area, _contact_area.c.contact_id == _contact.c.id)
    .where(
        _contact.c.service_id.in_(bindparam("ids", expanding=True)),
        _contact.c.deleted_at.is_(None),
        or_(_contact.c.valid_from.is_(None), _contact.c.valid_from <= _TODAY),
        or_(_contact.c.valid_until.is_(None), _contact.c.valid_until >= _TODAY),
    )
    .order_by(_contact.c.is_general.desc(), _contact.c.name, _contact.c.id)
)


def current_contacts_by_service(
    session: Session, service_ids: list[uuid.UUID], today: date
) -> defaultdict[uuid.UUID, list[Any]]:
    """The current contacts of these services (current_clause), per service, the general one first.

    Records read like Contacts (with `areas`), from one Core query: a page of services
    or front doors needs dozens of them, and ORM instances would cost more than the rest of the query.
    """
    grouped: defaultdict[uuid.UUID, list[Any]] = defaultdict(list)
    if not service_ids:
        return grouped
    for contact in contact_records(session.execute(_CURRENT_BY_SERVICE, {"ids": service_ids, "today": today})):
        grouped[contact.service_id].append(contact)
    return grouped


def contact_records(rows: Iterable[Any]) -> list[SimpleNamespace]:
    """Records read like Contacts (with `areas`) from rows of contact columns and the area
    each covers (`covers`, null without areas), a contact's rows next to each other."""
    records: list[SimpleNamespace] = []
    for row in rows:
        if not records or records[-1].id != row.id:
            records.append(as_record(row, areas=[]))
        if row.covers is not None:
            records[-1].areas.append(SimpleNamespace(area_code=row.covers))
    return records


def ownership(session: Session, data: ContactWrite) -> Ownership:
    """A service's contact belongs to the service's owners, an organisation's to the organisation's."""
    service = service_ownerships(session, [data.service_id])[data.service_id] if data.service_id else None
    gemeenten = service.gemeenten if service else organisation_owners(session, data.organisation_id)
    organisations = (service.organisations if service else frozenset()) | ({data.organisation_id} - {None})
    owned_through = "service_id" if service else "organisation_id"
    return Ownership(
        gemeenten=gemeenten, organisations=organisations, areas=frozenset(data.areas),  # type: ignore[arg-type]  # data.areas holds area codes, the attachment's keys
        attached=(
            service_attachment(session, data.service_id, gives_owners=True),
            organisation_attachment(session, data.organisation_id, gives_owners=data.service_id is None),
        ),
        gemeenten_field=owned_through, organisations_field=owned_through,
    )


def contact_ownerships(session: Session, contact_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Ownership]:
    """Who owns each of these contacts, as ownership() says (for the front doors naming them)."""
    wanted = set(contact_ids)
    stored = session.exec(select(Contact).where(col(Contact.id).in_(wanted)).options(*CONTACT_LOAD)).all()
    owned = {contact.id: ownership(session, as_write(contact)) for contact in stored}
    return {i: owned.get(i, NO_OWNERS) for i in wanted}


def _require_front_doors_kept(session: Session, data: ContactWrite, before: ContactWrite | None) -> None:
    """A front door names one of its own service's contacts (app/front_doors/service.py):
    a contact that live front doors name cannot move to another service under them."""
    if before is None or before.service_id == data.service_id:
        return
    doors = session.exec(select(FrontDoor.id).where(
        FrontDoor.contact_id == data.id, FrontDoor.service_id != data.service_id, is_live(FrontDoor),
    ).order_by(col(FrontDoor.id))).all()
    if doors:
        raise Conflict(
            f"Front door(s) {', '.join(map(str, doors))} name this contact for their service; point them at "
            "another contact first.",
            field="service_id", dependents={"front doors": len(doors)},
        )


def save_contact(session: Session, data: ContactWrite, actor: Actor) -> tuple[Contact, bool]:
    require_reference(session, Service, data.service_id, "service_id")
    require_reference(session, Organisation, data.organisation_id, "organisation_id")
    require_areas(session, data.areas, "areas")
    entity_id = data.id or uuid.uuid4()
    data = data.model_copy(update={"id": entity_id})
    existing = load_for_save(session, Contact, data.id, CONTACT_LOAD)
    before = as_write(existing) if existing else None
    after = ownership(session, data)
    authorize_write(actor, ownership(session, before) if before else None, after)
    if existing is not None and before == data:
        return existing, False
    _require_front_doors_kept(session, data, before)
    require_unique_external_id(session, Contact, entity_id, data.external_id)
    contact = existing or Contact(id=entity_id, name=data.name, role=data.role)
    for name, value in data.model_dump(exclude={"id", "areas"}).items():
        setattr(contact, name, value)
    current = {area.area_code: area for area in (existing.areas if existing else [])}
    contact.areas = [current.get(code) or ContactArea(contact_id=contact.id, area_code=code) for code in data.areas]
    record_save(session, EntityType.contact, contact, actor, before, data, after.gemeenten)
    return contact, True


# What identifies the person, also the maintainer's own key for them (often their staff
# number or their name); the role ("wijkcoach") and the coverage stay.
PERSONAL_FIELDS = ("name", "external_id", "phone", "email", "secure_messaging")
ERASED_NAME = "(gewist)"


def erase_contact(session: Session, contact_id: uuid.UUID, actor: Actor) -> Erasure:
    """Erase a person who has left: their personal fields go from the contact and from
    every recorded change; a deleted tombstone keeps the id. Erasing twice changes nothing.
    The answer lists the free text elsewhere that still names them (mentions_of)."""
    contact = session.exec(
        select(Contact).where(Contact.id == contact_id).options(*CONTACT_LOAD).with_for_update()
    ).first()
    if contact is None:
        raise NotFound(f"No contact with id {contact_id}.", field="contact_id")
    if contact.erased_at is not None:
        return Erasure(id=contact.id, erased_at=contact.erased_at, mentions=[])
    owned = ownership(session, as_write(contact))
    authorize_write(actor, owned, None)
    mentions = mentions_of(session, contact.name, contact_id)
    for field in PERSONAL_FIELDS:
        setattr(contact, field, ERASED_NAME if field == "name" else None)
    contact.erased_at = utcnow()
    contact.deleted_at = contact.deleted_at or contact.erased_at
    scrub_changes(session, EntityType.contact, contact_id, PERSONAL_FIELDS)
    write_and_record(session, EntityType.contact, contact, actor, Action.erase, gemeenten=owned.gemeenten)
    _unname_in_front_doors(session, contact_id, actor)
    return Erasure(id=contact.id, erased_at=contact.erased_at, mentions=mentions)


# Free text a steward writes, that may name a person: (entity type, the entry, the text, the
# field as the write body names it). Text in a child table is reported on its entry.
_FREE_TEXT: tuple[tuple[EntityType, Any, Any, str], ...] = (
    (EntityType.organisation, Organisation, Organisation.description, "description"),
    (EntityType.service, Service, Service.description, "description"),
    (EntityType.service, Service, Service.cost_note, "cost_note"),
    (EntityType.service, Service, Eligibility.note, "eligibility.note"),
    (EntityType.location, Location, Location.accessibility_note, "accessibility_note"),
    (EntityType.location, Location, OpeningException.note, "exceptions.note"),
    (EntityType.contact, Contact, Contact.role, "role"),
    (EntityType.front_door, FrontDoor, FrontDoor.note, "note"),
)
_CHILD_OF = {Eligibility: Eligibility.service_id, OpeningException: OpeningException.location_id}


def _name_phrases(name: str) -> list[str]:
    """How free text refers to a person: the full name, the first name, or the surname with
    its particles ("de Vries": "Vries" alone, or "Groot" of "de Groot", is a common word)."""
    full = " ".join(name.split())
    first, _, surname = full.partition(" ")
    return [phrase for phrase in {full, first, surname} if len(phrase) >= 3]


def mentions_of(session: Session, name: str, contact_id: uuid.UUID) -> list[Mention]:
    """The live entries whose free text names the person (_name_phrases, as whole words, in
    any case): "Bel mevrouw De Vries" names Anouk de Vries. It errs towards listing too much:
    the steward reads each one."""
    phrases = _name_phrases(name)
    if not phrases:
        return []
    pattern = "|".join(r"\s+".join(map(re.escape, phrase.split())) for phrase in phrases)
    named = re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)
    found: set[tuple[str, uuid.UUID, str]] = set()
    for entity_type, model, text, field in _FREE_TEXT:
        statement = select(model.id, text).where(
            is_live(model), model.id != contact_id, or_(*(col(text).icontains(p, autoescape=True) for p in phrases))
        )
        if (link := _CHILD_OF.get(text.class_)) is not None:
            statement = statement.select_from(model).join(text.class_, link == model.id)
        found.update((entity_type.value, entry_id, field) for entry_id, value in session.exec(statement) if named.search(value))
    return [Mention(entity_type=kind, id=entry_id, field=field) for kind, entry_id, field in sorted(found, key=str)]


def _unname_in_front_doors(session: Session, contact_id: uuid.UUID, actor: Actor) -> None:
    """Erasure is not refused for the front doors that name the person (a delete is): they
    name no one from now on, so they offer whom their service puts forward."""
    doors = session.exec(
        select(FrontDoor).where(FrontDoor.contact_id == contact_id, is_live(FrontDoor)).with_for_update()
    ).all()
    for door in doors:
        door.contact_id = None
        write_and_record(
            session, EntityType.front_door, door, actor, Action.update,
            changes={"contact_id": [str(contact_id), None]}, gemeenten=[gemeente_of(door.area_code)],
        )


def choose_contact(candidates: list[Any], levels: dict[str, int]) -> Any | None:
    """Whom to call for this patient: the current contact whose areas most specifically
    cover the patient (`levels`, from area_specificity), else the general contact;
    ties go to the most recently verified. `candidates` must be current contacts."""

    def verified(contact: Contact) -> float:
        return contact.last_verified_at.timestamp() if contact.last_verified_at else 0.0

    covering = [
        (min(levels[area.area_code] for area in contact.areas if area.area_code in levels), -verified(contact), contact)
        for contact in candidates
        if any(area.area_code in levels for area in contact.areas)
    ]
    if covering:
        return min(covering, key=lambda item: (item[0], item[1], str(item[2].id)))[2]
    general = [contact for contact in candidates if contact.is_general]
    return max(general, key=lambda c: (verified(c), str(c.id)), default=None)
