"""Contact persons: validity, the visibility-aware view, reads and the one save path."""

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.areas.service import require_areas
from app.changelog.service import Action, EntityType, bump_version, changed_fields, record_change, scrub_changes
from app.clients.scope import Actor, authorize_write
from app.clock import local_today
from app.contacts.models import Contact, ContactArea
from app.contacts.schemas import ContactOut, ContactWrite
from app.db import utcnow
from app.entity import Ownership, get_live, is_live, load_for_save, require_unique_external_id
from app.errors import InvalidInput, NotFound
from app.organisations.models import Organisation
from app.organisations.service import organisation_owners
from app.pagination import keyset_page
from app.services.models import Service, ServiceOwner
from app.visibility import Viewer, redact_direct_lines

CONTACT_LOAD = (selectinload(Contact.areas),)  # type: ignore[arg-type]


def is_current(contact: Contact, today: date) -> bool:
    return (
        contact.deleted_at is None
        and (contact.valid_from is None or contact.valid_from <= today)
        and (contact.valid_until is None or today <= contact.valid_until)
    )


def current_clause(today: date) -> ColumnElement[bool]:
    """The SQL twin of is_current."""
    return and_(
        is_live(Contact),
        or_(col(Contact.valid_from).is_(None), col(Contact.valid_from) <= today),
        or_(col(Contact.valid_until).is_(None), col(Contact.valid_until) >= today),
    )


def to_out(contact: Contact, viewer: Viewer, today: date) -> ContactOut:
    """The only way a contact leaves this service: direct lines go through visibility."""
    values = contact.model_dump(exclude={"deleted_at", "erased_at"})
    return ContactOut(
        **redact_direct_lines(values, viewer),
        is_current=is_current(contact, today),
        areas=sorted(area.area_code for area in contact.areas),
    )


def as_write(contact: Contact) -> ContactWrite:
    return ContactWrite(
        **contact.model_dump(exclude={"deleted_at", "erased_at", "version", "created_at", "updated_at"}),
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
        session, statement, scope="contacts", order=[Contact.name, Contact.id],  # type: ignore[list-item]
        cursor=cursor, limit=limit,
    )
    return [to_out(row, viewer, today) for row in rows], next_cursor


def service_owners(session: Session, service_id: uuid.UUID) -> frozenset[str]:
    return frozenset(session.exec(
        select(ServiceOwner.gemeente_code).where(ServiceOwner.service_id == service_id)
    ).all())


def current_contacts_by_service(
    session: Session, service_ids: list[uuid.UUID], today: date
) -> defaultdict[uuid.UUID, list[Contact]]:
    """The current contacts of these services, per service, the general one first."""
    grouped: defaultdict[uuid.UUID, list[Contact]] = defaultdict(list)
    if not service_ids:
        return grouped
    for contact in session.exec(
        select(Contact)
        .where(col(Contact.service_id).in_(service_ids), current_clause(today))
        .options(*CONTACT_LOAD)
        .order_by(col(Contact.is_general).desc(), Contact.name)
    ).all():
        grouped[contact.service_id].append(contact)  # type: ignore[index]
    return grouped


def ownership(session: Session, data: ContactWrite) -> Ownership:
    """A service's contact belongs to the service's owners, an organisation's to the organisation's."""
    service = session.get(Service, data.service_id) if data.service_id else None
    gemeenten = service_owners(session, service.id) if service else organisation_owners(session, data.organisation_id)
    organisations = {service.organisation_id if service else None, data.organisation_id} - {None}
    return Ownership(gemeenten=gemeenten, organisations=frozenset(organisations), areas=frozenset(data.areas))  # type: ignore[arg-type]


def save_contact(session: Session, data: ContactWrite, actor: Actor) -> tuple[Contact, bool]:
    if data.service_id and session.get(Service, data.service_id) is None:
        raise InvalidInput(f"No service with id {data.service_id}.", field="service_id")
    if data.organisation_id and session.get(Organisation, data.organisation_id) is None:
        raise InvalidInput(f"No organisation with id {data.organisation_id}.", field="organisation_id")
    require_areas(session, data.areas, "areas")
    data = data.model_copy(update={"id": data.id or uuid.uuid4()})
    existing = load_for_save(session, Contact, data.id, CONTACT_LOAD)
    before = as_write(existing) if existing else None
    after = ownership(session, data)
    authorize_write(actor, ownership(session, before) if before else None, after)
    if existing is not None and before == data:
        return existing, False
    require_unique_external_id(session, Contact, data.id, data.external_id)
    contact = existing or Contact(id=data.id, name=data.name, role=data.role)
    for name, value in data.model_dump(exclude={"id", "areas"}).items():
        setattr(contact, name, value)
    current = {area.area_code: area for area in (existing.areas if existing else [])}
    contact.areas = [current.get(code) or ContactArea(area_code=code) for code in data.areas]
    bump_version(contact, is_new=existing is None)
    session.add(contact)
    session.flush()
    record_change(
        session, EntityType.contact, contact.id, contact.version, actor,
        Action.update if before else Action.create, changes=changed_fields(before, data), gemeenten=after.gemeenten,
    )
    return contact, True


# What identifies the person; the role ("wijkcoach") and the coverage stay.
PERSONAL_FIELDS = ("name", "phone", "email", "secure_messaging")
ERASED_NAME = "(gewist)"


def erase_contact(session: Session, contact_id: uuid.UUID, actor: Actor) -> None:
    """Erase a person who has left: their personal fields go from the contact and from
    every recorded change; a deleted tombstone keeps the id. Erasing twice changes nothing."""
    contact = session.exec(
        select(Contact).where(Contact.id == contact_id).options(*CONTACT_LOAD).with_for_update()
    ).first()
    if contact is None:
        raise NotFound(f"No contact with id {contact_id}.", field="contact_id")
    if contact.erased_at is not None:
        return
    owned = ownership(session, as_write(contact))
    authorize_write(actor, owned, None)
    contact.name, contact.phone, contact.email, contact.secure_messaging = ERASED_NAME, None, None, None
    contact.erased_at = utcnow()
    contact.deleted_at = contact.deleted_at or contact.erased_at
    bump_version(contact, is_new=False)
    session.add(contact)
    session.flush()
    scrub_changes(session, EntityType.contact, contact_id, PERSONAL_FIELDS)
    record_change(
        session, EntityType.contact, contact_id, contact.version, actor, Action.erase,
        gemeenten=owned.gemeenten,
    )


def choose_contact(candidates: list[Contact], levels: dict[str, int]) -> Contact | None:
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
