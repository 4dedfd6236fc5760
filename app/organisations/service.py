"""Organisations: reads and the one save path."""

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.areas.service import require_areas
from app.changelog.service import EntityType, record_save
from app.clients.scope import Actor, authorize_write
from app.entity import Attachment, Ownership, get_live, is_live, load_for_save, require_unique_external_id
from app.organisations.models import Organisation, OrganisationOwner
from app.organisations.schemas import OrganisationOut, OrganisationWrite
from app.pagination import keyset_page

ORGANISATION_LOAD = (selectinload(Organisation.owners),)  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values


def to_out(organisation: Organisation) -> OrganisationOut:
    return OrganisationOut(
        **organisation.model_dump(exclude={"deleted_at"}),
        owners=sorted(owner.gemeente_code for owner in organisation.owners),
    )


def as_write(organisation: Organisation) -> OrganisationWrite:
    return OrganisationWrite.model_validate(
        to_out(organisation).model_dump(exclude={"version", "created_at", "updated_at"})
    )


def get_organisation(session: Session, organisation_id: uuid.UUID) -> OrganisationOut:
    return to_out(get_live(session, Organisation, organisation_id, ORGANISATION_LOAD))


def list_organisations(
    session: Session, *, gemeente: str | None, cursor: str | None, limit: int
) -> tuple[list[OrganisationOut], str | None]:
    statement = select(Organisation).where(is_live(Organisation)).options(*ORGANISATION_LOAD)
    if gemeente:
        owned = select(OrganisationOwner.organisation_id).where(OrganisationOwner.gemeente_code == gemeente)
        statement = statement.where(col(Organisation.id).in_(owned))
    rows, next_cursor = keyset_page(
        session, statement, scope="organisations", order=[Organisation.name, Organisation.id],  # type: ignore[list-item]  # SQLModel types columns and relationships as their Python values
        cursor=cursor, limit=limit,
    )
    return [to_out(row) for row in rows], next_cursor


def organisation_ownerships(session: Session, organisation_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Ownership]:
    """Who owns each of these organisations (none owns one that does not exist)."""
    wanted = set(organisation_ids)
    owners: defaultdict[uuid.UUID, set[str]] = defaultdict(set)
    for organisation_id, code in session.exec(
        select(OrganisationOwner.organisation_id, OrganisationOwner.gemeente_code)
        .where(col(OrganisationOwner.organisation_id).in_(wanted))
    ).all():
        owners[organisation_id].add(code)
    return {i: Ownership(gemeenten=frozenset(owners[i]), organisations=frozenset({i})) for i in wanted}


def organisation_owners(session: Session, organisation_id: uuid.UUID | None) -> frozenset[str]:
    if organisation_id is None:
        return frozenset()
    return organisation_ownerships(session, [organisation_id])[organisation_id].gemeenten


def organisation_attachment(
    session: Session, organisation_id: uuid.UUID | None, *, gives_owners: bool, loaded: Organisation | None = None
) -> Attachment:
    """An entry's `organisation_id`, for the scope check (app/clients/scope.py). `loaded`: that
    organisation with its owners, where the caller has it at hand (a bulk import reads a
    chunk's organisations at once, and a query per row would slow it down)."""
    def read_owners(ids: frozenset[uuid.UUID]) -> dict[uuid.UUID, Ownership]:
        if loaded is None:
            return organisation_ownerships(session, ids)
        return {loaded.id: Ownership(gemeenten=frozenset(o.gemeente_code for o in loaded.owners),
                                     organisations=frozenset({loaded.id}))}

    return Attachment(
        "organisation_id", frozenset({organisation_id} - {None}),  # type: ignore[arg-type]  # the set difference drops None, which mypy cannot follow
        read_owners, gives_owners=gives_owners,
    )


def ownership(_session: Session, data: OrganisationWrite) -> Ownership:
    return Ownership(
        gemeenten=frozenset(data.owners), organisations=frozenset({data.id}) if data.id else frozenset(),
        organisations_field="id",  # an organisation is itself the one a key may be limited to
    )


def save_organisation(session: Session, data: OrganisationWrite, actor: Actor) -> tuple[Organisation, bool]:
    """Create or replace; a replace that changes nothing writes nothing. Returns (entry, changed)."""
    entity_id = data.id or uuid.uuid4()
    data = data.model_copy(update={"id": entity_id})
    require_areas(session, data.owners, "owners")
    existing = load_for_save(session, Organisation, data.id, ORGANISATION_LOAD)
    before = as_write(existing) if existing else None
    authorize_write(actor, ownership(session, before) if before else None, ownership(session, data))
    if existing is not None and before == data:
        return existing, False
    require_unique_external_id(session, Organisation, entity_id, data.external_id)
    organisation = existing or Organisation(id=entity_id, name=data.name)
    fields = data.model_dump(mode="json", exclude={"id", "owners", "last_verified_at"})
    for name, value in fields.items():
        setattr(organisation, name, value)
    organisation.last_verified_at = data.last_verified_at
    current = {owner.gemeente_code: owner for owner in (existing.owners if existing else [])}
    organisation.owners = [
        current.get(code) or OrganisationOwner(organisation_id=organisation.id, gemeente_code=code) for code in data.owners
    ]
    record_save(session, EntityType.organisation, organisation, actor, before, data, data.owners)
    return organisation, True
