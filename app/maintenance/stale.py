"""The freshness report: what a gemeente should check because staff turn over."""

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import ColumnElement, or_, true
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.clients.models import Role
from app.clients.scope import Principal, gemeente_of
from app.clock import local_today
from app.contacts.models import Contact, ContactArea
from app.db import utcnow
from app.entity import is_live
from app.errors import Forbidden
from app.front_doors.models import FrontDoor
from app.maintenance.schemas import RetiredAreaUse, StaleContact, StaleReport, StaleService
from app.organisations.models import OrganisationOwner
from app.services.models import Service, ServiceArea, ServiceOwner

EXPIRY_WINDOW_DAYS = 30

# name -> a count for the gemeenten reported on (None: all). Features above this one (reports,
# referrals) register theirs at start-up (app/main.py), so the report shows them without
# this package importing them.
Signal = Callable[[Session, list[str] | None], int]
_SIGNALS: dict[str, Signal] = {}


def register_signal(name: str, count: Signal) -> None:
    _SIGNALS[name] = count


def _gemeenten_in_view(principal: Principal, gemeente: str | None) -> list[str] | None:
    """The gemeenten to report on; None means all (an admin without a filter)."""
    if not principal.role.edits:
        raise Forbidden("The maintenance report is for editors and admins.")
    if principal.role == Role.admin:
        return [gemeente] if gemeente else None
    if gemeente and gemeente not in principal.gemeenten:
        raise Forbidden(f"This key maintains {', '.join(sorted(principal.gemeenten))}, not {gemeente}.", field="gemeente")
    return [gemeente] if gemeente else sorted(principal.gemeenten)


def _owned_services(gemeenten: list[str] | None) -> ColumnElement[bool]:
    if gemeenten is None:
        return true()
    owned = select(ServiceOwner.service_id).where(col(ServiceOwner.gemeente_code).in_(gemeenten))
    return col(Service.id).in_(owned)


def _owned_contacts(gemeenten: list[str] | None) -> ColumnElement[bool]:
    if gemeenten is None:
        return true()
    by_service = select(ServiceOwner.service_id).where(col(ServiceOwner.gemeente_code).in_(gemeenten))
    by_organisation = select(OrganisationOwner.organisation_id).where(col(OrganisationOwner.gemeente_code).in_(gemeenten))
    return or_(
        col(Contact.service_id).in_(by_service),
        col(Contact.service_id).is_(None) & col(Contact.organisation_id).in_(by_organisation),
    )


def stale_report(session: Session, principal: Principal, gemeente: str | None, older_than_days: int) -> StaleReport:
    gemeenten = _gemeenten_in_view(principal, gemeente)
    cutoff = utcnow() - timedelta(days=older_than_days)
    today = local_today()

    def unverified(model: type[Service] | type[Contact]) -> ColumnElement[bool]:
        return or_(col(model.last_verified_at).is_(None), col(model.last_verified_at) < cutoff)

    services = session.exec(
        select(Service).where(is_live(Service), _owned_services(gemeenten), unverified(Service)).order_by(Service.name)
    ).all()
    contacts = session.exec(
        select(Contact).where(is_live(Contact), _owned_contacts(gemeenten), unverified(Contact)).order_by(Contact.name)
    ).all()
    expiring = session.exec(
        select(Contact).where(
            is_live(Contact), _owned_contacts(gemeenten),
            col(Contact.valid_until) >= today, col(Contact.valid_until) <= today + timedelta(days=EXPIRY_WINDOW_DAYS),
        ).order_by(col(Contact.valid_until), col(Contact.name))
    ).all()
    return StaleReport(
        gemeenten=gemeenten,
        older_than_days=older_than_days,
        services_not_verified=[StaleService.model_validate(s, from_attributes=True) for s in services],
        contacts_not_verified=[StaleContact.model_validate(c, from_attributes=True) for c in contacts],
        contacts_expiring=[StaleContact.model_validate(c, from_attributes=True) for c in expiring],
        retired_area_uses=retired_area_uses(session, gemeenten),
        signals={name: count(session, gemeenten) for name, count in sorted(_SIGNALS.items())},
    )


def retired_area_uses(session: Session, gemeenten: list[str] | None) -> list[RetiredAreaUse]:
    """Service areas, contact coverage and front doors that name an area CBS no longer uses."""
    retired = select(Area.code).where(col(Area.retired_year).is_not(None))
    service_uses = session.exec(
        select(Service.id, Service.name, ServiceArea.area_code)
        .join(ServiceArea, ServiceArea.service_id == Service.id)  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
        .where(is_live(Service), _owned_services(gemeenten), col(ServiceArea.area_code).in_(retired))
    ).all()
    contact_uses = session.exec(
        select(Contact.id, Contact.name, ContactArea.area_code)
        .join(ContactArea, ContactArea.contact_id == Contact.id)  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
        .where(is_live(Contact), _owned_contacts(gemeenten), col(ContactArea.area_code).in_(retired))
    ).all()
    door_uses = session.exec(
        select(FrontDoor.id, FrontDoor.topic, FrontDoor.area_code)
        .where(is_live(FrontDoor), col(FrontDoor.area_code).in_(retired))
    ).all()
    return sorted(
        [RetiredAreaUse(entity_type="service", id=i, name=n, area_code=a) for i, n, a in service_uses]
        + [RetiredAreaUse(entity_type="contact", id=i, name=n, area_code=a) for i, n, a in contact_uses]
        + [
            RetiredAreaUse(entity_type="front_door", id=i, name=f"front door {t}", area_code=a)
            for i, t, a in door_uses
            if gemeenten is None or gemeente_of(a) in gemeenten
        ],
        key=lambda use: (use.area_code, use.entity_type, use.name),
    )
