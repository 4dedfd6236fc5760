"""Services: loading the aggregate, reads, and the one save path (one version, one log entry)."""

import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.areas.service import require_areas
from app.changelog.service import EntityType, record_save
from app.clients.scope import Actor, authorize_write
from app.clock import local_today
from app.contacts import service as contacts
from app.entity import Attachment, Ownership, get_live, is_live, load_for_save, require_unique_external_id
from app.errors import InvalidInput
from app.locations import service as locations
from app.locations.models import Location
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationRef
from app.organisations.service import organisation_attachment, organisation_owners
from app.pagination import keyset_page
from app.services.models import (
    Eligibility,
    Service,
    ServiceArea,
    ServiceNeedDomain,
    ServiceOwner,
    ServiceTargetGroup,
)
from app.services.schemas import EligibilityRules, ServiceOut, ServiceWrite, WaitingTime
from app.taxonomy.service import require_need_domains, require_target_groups
from app.visibility import Viewer

# The service row's own columns that a write sets (the rest are links and eligibility).
SERVICE_COLUMNS: set[str] = {
    "external_id", "organisation_id", "name", "description", "access_route", "cost", "cost_note", "languages",
    "waiting_days", "waiting_reported_on", "status", "last_verified_at",
}
SERVICE_LOAD = (
    selectinload(Service.organisation).selectinload(Organisation.owners),  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
    selectinload(Service.need_domains),  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
    selectinload(Service.target_groups),  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
    selectinload(Service.areas),  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
    selectinload(Service.owners),  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
    selectinload(Service.eligibility),  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
    selectinload(Service.locations).options(*locations.LOCATION_LOAD),  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
)


def eligibility_rules(service: Service | Any) -> EligibilityRules | None:
    """The rules of a Service, or of any record with an `eligibility` read like the entity's."""
    if service.eligibility is None:
        return None
    return EligibilityRules.model_validate(service.eligibility, from_attributes=True)


def to_outs(session: Session, services: list[Service], viewer: Viewer) -> list[ServiceOut]:
    today = local_today()
    people = contacts.current_contacts_by_service(session, [s.id for s in services], today)
    return [
        ServiceOut(
            **service.model_dump(include={
                "id", "external_id", "name", "description", "access_route", "cost", "cost_note", "languages",
                "status", "version", "created_at", "updated_at", "last_verified_at",
            }),
            organisation=OrganisationRef(id=service.organisation.id, name=service.organisation.name),
            need_domains=sorted(d.domain_code for d in service.need_domains),
            target_groups=sorted(g.group_code for g in service.target_groups),
            waiting_time=WaitingTime(days=service.waiting_days, reported_on=service.waiting_reported_on),
            areas=sorted(a.area_code for a in service.areas),
            owners=sorted(o.gemeente_code for o in service.owners),
            eligibility=eligibility_rules(service),
            locations=[locations.to_out(location) for location in service.locations if location.deleted_at is None],
            contacts=[contacts.to_out(person, viewer, today) for person in people[service.id]],
        )
        for service in services
    ]


def as_write(service: Service) -> ServiceWrite:
    data = ServiceWrite(
        **service.model_dump(include={
            "id", "external_id", "organisation_id", "name", "description", "access_route", "cost", "cost_note",
            "waiting_days", "waiting_reported_on", "status", "last_verified_at",
        }),
        need_domains=[d.domain_code for d in service.need_domains],
        target_groups=[g.group_code for g in service.target_groups],
        areas=[a.area_code for a in service.areas],
        owners=[o.gemeente_code for o in service.owners],
        location_ids=[location.id for location in service.locations],
        eligibility=eligibility_rules(service),
    )
    # The languages as stored, not judged again: a stored code that is not ISO 639-1 must
    # not make a service fail to delete, verify, export or move. A write that keeps one is
    # refused (languages.N): a patch or an import row is validated whole.
    return data.model_copy(update={"languages": service.languages})


def get_service(session: Session, service_id: uuid.UUID, viewer: Viewer) -> ServiceOut:
    return to_outs(session, [get_live(session, Service, service_id, SERVICE_LOAD)], viewer)[0]


def list_services(
    session: Session,
    viewer: Viewer,
    *,
    gemeente: str | None,
    organisation_id: uuid.UUID | None,
    domain: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ServiceOut], str | None]:
    statement = select(Service).where(is_live(Service)).options(*SERVICE_LOAD)
    if gemeente:
        owned = select(ServiceOwner.service_id).where(ServiceOwner.gemeente_code == gemeente)
        statement = statement.where(col(Service.id).in_(owned))
    if organisation_id:
        statement = statement.where(Service.organisation_id == organisation_id)
    if domain:
        require_need_domains(session, [domain], "domain")
        in_domain = select(ServiceNeedDomain.service_id).where(ServiceNeedDomain.domain_code == domain)
        statement = statement.where(col(Service.id).in_(in_domain))
    if status:
        statement = statement.where(Service.status == status)
    rows, next_cursor = keyset_page(
        session, statement, scope="services", order=[Service.name, Service.id],  # type: ignore[list-item]  # SQLModel types columns and relationships as their Python values
        cursor=cursor, limit=limit,
    )
    return to_outs(session, rows, viewer), next_cursor


def validate_references(session: Session, items: Sequence[ServiceWrite]) -> dict[uuid.UUID, Organisation]:
    """Check what services refer to, a query per kind of reference for all of them (a bulk
    import checks a chunk at once). Returns their organisations, by id."""
    wanted = {data.organisation_id for data in items}
    organisations = {
        organisation.id: organisation
        for organisation in session.exec(
            select(Organisation).where(col(Organisation.id).in_(wanted), is_live(Organisation))
            .options(selectinload(Organisation.owners))  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
        ).all()
    }
    if missing := sorted(str(i) for i in wanted - organisations.keys()):
        raise InvalidInput(f"No organisation with id {', '.join(missing)}.", field="organisation_id")
    require_need_domains(session, {code for data in items for code in data.need_domains}, "need_domains")
    require_target_groups(session, {code for data in items for code in data.target_groups}, "target_groups")
    required = {data.eligibility.required_target_group for data in items if data.eligibility}
    if required - {None}:
        require_target_groups(session, required - {None}, "eligibility.required_target_group")  # type: ignore[arg-type]  # the set difference drops None, which mypy cannot follow
    require_areas(session, {code for data in items for code in data.areas}, "areas")
    if owners := {code for data in items for code in data.owners or ()}:
        require_areas(session, owners, "owners")
    location_ids = [i for data in items for i in data.location_ids]
    found = set(session.exec(select(Location.id).where(col(Location.id).in_(location_ids), is_live(Location))).all())
    if missing := sorted({str(i) for i in location_ids if i not in found}):
        raise InvalidInput(f"Unknown location id(s): {', '.join(missing)}.", field="location_ids")
    return organisations


def ownership(session: Session, data: ServiceWrite, organisation: Organisation | None = None) -> Ownership:
    """`organisation`: the service's, with its owners loaded, where the caller has it."""
    gemeenten = data.owners if data.owners is not None else organisation_owners(session, data.organisation_id)
    return Ownership(
        gemeenten=frozenset(gemeenten), organisations=frozenset({data.organisation_id}), areas=frozenset(data.areas),
        attached=(
            organisation_attachment(session, data.organisation_id, gives_owners=True, loaded=organisation),
            Attachment("location_ids", frozenset(data.location_ids), partial(locations.location_ownerships, session)),
        ),
    )


def plan_save(
    session: Session, data: ServiceWrite, existing: Service | None, organisation: Organisation, actor: Actor
) -> tuple[ServiceWrite, ServiceWrite | None, Ownership]:
    """The service as it will be stored, as it was, and its owners after; refuses (403) a
    change outside the actor's scope. Owners left out (null) keep the stored ones, or
    for a new service take the organisation's."""
    before = as_write(existing) if existing else None
    if data.owners is None:
        owners = before.owners if before else [o.gemeente_code for o in organisation.owners]
        data = data.model_copy(update={"owners": sorted(owners or [])})
    after = ownership(session, data, organisation)
    authorize_write(actor, ownership(session, before) if before else None, after)
    return data, before, after


def save_service(session: Session, data: ServiceWrite, actor: Actor) -> tuple[Service, bool]:
    """Create or replace the whole aggregate; any change bumps the service's one version."""
    organisation = validate_references(session, [data])[data.organisation_id]
    entity_id = data.id or uuid.uuid4()
    data = data.model_copy(update={"id": entity_id})
    existing = load_for_save(session, Service, data.id, SERVICE_LOAD)
    data, before, after = plan_save(session, data, existing, organisation, actor)
    if existing is not None and before == data:
        return existing, False
    require_unique_external_id(session, Service, entity_id, data.external_id)
    service = existing or Service(id=entity_id, organisation_id=data.organisation_id,
                                  name=data.name, access_route=data.access_route)
    if existing is None:
        for relation in ("need_domains", "target_groups", "areas", "owners", "locations"):
            setattr(service, relation, [])
        service.eligibility = None
    for name, value in data.model_dump(include=SERVICE_COLUMNS).items():
        setattr(service, name, value)
    service.organisation = organisation  # a loaded relationship does not follow organisation_id
    _replace_links(session, service, data)
    record_save(session, EntityType.service, service, actor, before, data, after.gemeenten)
    return service, True


def _replace_links(session: Session, service: Service, data: ServiceWrite) -> None:
    # Keep the link rows that stay, so the flush touches only what changed.
    domains = {d.domain_code: d for d in service.need_domains}
    service.need_domains = [domains.get(c) or ServiceNeedDomain(service_id=service.id, domain_code=c) for c in data.need_domains]
    groups = {g.group_code: g for g in service.target_groups}
    service.target_groups = [groups.get(c) or ServiceTargetGroup(service_id=service.id, group_code=c) for c in data.target_groups]
    areas = {a.area_code: a for a in service.areas}
    service.areas = [areas.get(c) or ServiceArea(service_id=service.id, area_code=c) for c in data.areas]
    owners = {o.gemeente_code: o for o in service.owners}
    service.owners = [owners.get(c) or ServiceOwner(service_id=service.id, gemeente_code=c) for c in data.owners or []]
    kept = {location.id: location for location in service.locations}
    service.locations = [kept.get(i) or session.get_one(Location, i) for i in data.location_ids]
    if data.eligibility is None:
        service.eligibility = None
    elif service.eligibility is None:
        service.eligibility = Eligibility(**data.eligibility.model_dump(mode="json"))
    else:
        for name, value in data.eligibility.model_dump(mode="json").items():
            setattr(service.eligibility, name, value)
