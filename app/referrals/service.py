"""Referrals: making one, its progress, who sees it, and the flag for those nobody picked up."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func
from sqlmodel import Session, col, select

from app import dialect
from app.clients.models import ApiClient, Role
from app.clients.scope import Principal
from app.clock import local_today, local_zone
from app.contacts.models import Contact
from app.db import table_of, utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.pagination import decode_cursor, encode_cursor, keyset_page
from app.referrals import codes
from app.referrals.models import Referral, ReferralContactDays, ReferralDomain, ReferralEvent, ReferralTally
from app.referrals.schemas import (
    STATUS_ORDER,
    Outcome,
    ReferralChange,
    ReferralChangePage,
    ReferralCreate,
    ReferralOut,
    ReferralSummary,
    Status,
    StatusChange,
    Step,
)
from app.services.models import Service, ServiceOwner
from app.settings import get_settings
from app.taxonomy.service import require_need_domains

# Serialises appends to referral_event on PostgreSQL, so the change feed's positions commit in order.
EVENTS_LOCK_KEY = 7_351_030
# A closing that means the patient was spoken to: it dates the first contact when no step did.
_MET = (Outcome.geholpen, Outcome.doorverwezen, Outcome.past_niet)


def add_working_days(day: date, count: int) -> date:
    """The `count`th working day (Monday to Friday) after `day`."""
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def acknowledge_deadline(created_at: datetime, working_days: int) -> datetime:
    """The end (local midnight) of the `working_days`th working day after the day of creation."""
    zone = local_zone()
    last = add_working_days(created_at.astimezone(zone).date(), working_days)
    return datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)


def is_niet_opgepakt(referral: Any, now: datetime) -> bool:
    if referral.acknowledged_at is None:
        return referral.acknowledge_by < now
    return referral.acknowledged_at > referral.acknowledge_by


def acted_for(principal: Principal) -> ColumnElement[bool]:
    """The services whose referrals this key receives: an editor's gemeenten's services, within
    the organisations it is limited to (a provider's key). Practices, readers and admins none."""
    if principal.role != Role.editor or not principal.gemeenten:
        return false()
    owned = select(ServiceOwner.service_id).where(col(ServiceOwner.gemeente_code).in_(sorted(principal.gemeenten)))
    clause: ColumnElement[bool] = col(Referral.service_id).in_(owned)
    if principal.organisations:
        theirs = select(Service.id).where(col(Service.organisation_id).in_(sorted(principal.organisations)))
        clause = and_(clause, col(Referral.service_id).in_(theirs))
    return clause


def _visible(principal: Principal) -> ColumnElement[bool]:
    if principal.role == Role.practice:
        return col(Referral.practice_client_id) == principal.client_id
    return acted_for(principal)


def _require_practice(principal: Principal) -> None:
    if principal.role != Role.practice:
        raise Forbidden("Only a practice key makes referrals and reads their feedback.")


def _live_service(session: Session, service_id: uuid.UUID, field: str) -> Service:
    service = session.get(Service, service_id)
    if service is None or service.deleted_at is not None:
        raise InvalidInput(f"No live service with id {service_id}.", field=field)
    return service


def _append(session: Session, referral: Referral, at: datetime) -> None:
    dialect.serialise_appends(session, EVENTS_LOCK_KEY)
    session.add(ReferralEvent(
        referral_id=referral.id, practice_client_id=referral.practice_client_id, status=referral.status,
        outcome=referral.outcome, passed_on_service_id=referral.passed_on_service_id, at=at,
    ))


def _acknowledged_late(referral: Referral) -> bool:
    return referral.acknowledged_at is not None and referral.acknowledged_at > referral.acknowledge_by


def _tally(session: Session, referral: Referral, domains: list[str], step: int) -> None:
    """Count the referral in (step 1) or out of (step -1) its cells of referral_tally, as it is now."""
    late = step if _acknowledged_late(referral) else 0
    dialect.add_to_rows(session, ReferralTally.__table__, [  # type: ignore[attr-defined]
        {"month": referral.month, "gemeente_code": referral.gemeente_code or "", "domain_code": domain,
         "service_id": referral.service_id, "status": referral.status, "outcome": referral.outcome or "",
         "referrals": step, "acknowledged_late": late}
        for domain in domains
    ], ["referrals", "acknowledged_late"])


def _tally_contact(session: Session, referral: Referral, domains: list[str]) -> None:
    dialect.add_to_rows(session, ReferralContactDays.__table__, [  # type: ignore[attr-defined]
        {"month": referral.month, "gemeente_code": referral.gemeente_code or "", "domain_code": domain,
         "service_id": referral.service_id, "days": int(referral.days_to_contact), "referrals": 1}  # type: ignore[arg-type]
        for domain in domains
    ], ["referrals"])


def _unused_code(session: Session) -> str:
    while True:  # 2^50 codes: a repeat is rare enough that one more draw settles it
        code = codes.new_code()
        if session.scalar(select(Referral.id).where(Referral.code == code)) is None:
            return code


def create_referral(session: Session, principal: Principal, data: ReferralCreate) -> ReferralOut:
    _require_practice(principal)
    service = _live_service(session, data.service_id, "service_id")
    if data.contact_id is not None:
        contact = session.get(Contact, data.contact_id)
        if contact is None or contact.deleted_at is not None or (
            contact.service_id != service.id and contact.organisation_id != service.organisation_id
        ):
            raise InvalidInput(f"No live contact {data.contact_id} of this service.", field="contact_id")
    require_need_domains(session, data.need_domains, "need_domains")
    now = utcnow()
    owners = session.scalars(
        select(ServiceOwner.gemeente_code).where(ServiceOwner.service_id == service.id).order_by(ServiceOwner.gemeente_code)
    ).all()
    referral = Referral(
        code=_unused_code(session), practice_client_id=principal.client_id, service_id=service.id,
        contact_id=data.contact_id, gemeente_code=owners[0] if owners else None,
        month=now.astimezone(local_zone()).strftime("%Y-%m"), urgency=data.urgency, status=Status.verstuurd,
        created_at=now, updated_at=now,
        acknowledge_by=acknowledge_deadline(now, get_settings().referral_acknowledge_working_days),
    )
    session.add(referral)
    session.flush()
    session.add_all(ReferralDomain(referral_id=referral.id, domain_code=code) for code in data.need_domains)
    _tally(session, referral, data.need_domains, 1)
    _append(session, referral, now)
    session.flush()
    return _out(session, referral)


def _find(session: Session, principal: Principal, code: str, *, for_update: bool = False) -> Referral:
    """The referral under this code that the key may see; else 404, whether it exists or not."""
    stored = codes.canonical(code)
    missing = NotFound(f"No referral {code} that this key may see.", field="code")
    if stored is None:
        raise missing
    statement = select(Referral).where(Referral.code == stored, _visible(principal))
    referral = session.scalar(statement.with_for_update() if for_update else statement)
    if referral is None:
        raise missing
    return referral


def get_referral(session: Session, principal: Principal, code: str) -> ReferralOut:
    return _out(session, _find(session, principal, code))


def change_status(session: Session, principal: Principal, code: str, change: StatusChange) -> ReferralOut:
    if principal.role == Role.practice:
        raise Forbidden("The receiving organisation reports progress, not the practice.")
    referral = _find(session, principal, code, for_update=True)
    current = Status(referral.status)
    if STATUS_ORDER.index(change.status) <= STATUS_ORDER.index(current):
        raise Conflict(
            f"The referral is {current}; it cannot become {change.status}"
            + (" (afgesloten is final)." if current == Status.afgesloten else "."),
            field="status", current_status=current,
        )
    if change.passed_on_service_id is not None:
        _live_service(session, change.passed_on_service_id, "passed_on_service_id")
    now = utcnow()
    domains = _domains(session, [referral.id])[referral.id]
    _tally(session, referral, domains, -1)
    referral.status, referral.outcome = change.status, change.outcome
    referral.passed_on_service_id, referral.updated_at = change.passed_on_service_id, now
    if referral.acknowledged_at is None:
        referral.acknowledged_at = now
    met = change.status in (Status.contact_gelegd, Status.intake_gedaan) or change.outcome in _MET
    if met and referral.days_to_contact is None:
        referral.days_to_contact = round((now - referral.created_at).total_seconds() / 86400, 3)
        _tally_contact(session, referral, domains)
    _tally(session, referral, domains, 1)
    session.add(referral)
    _append(session, referral, now)
    session.flush()
    return _out(session, referral)


def _domains(session: Session, ids: Iterable[uuid.UUID]) -> defaultdict[uuid.UUID, list[str]]:
    found: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    for referral_id, domain in session.execute(
        select(ReferralDomain.referral_id, ReferralDomain.domain_code)
        .where(col(ReferralDomain.referral_id).in_(list(ids))).order_by(ReferralDomain.domain_code)
    ):
        found[referral_id].append(domain)
    return found


def _summary(referral: Referral, domains: list[str], now: datetime) -> dict[str, Any]:
    return {
        "code": referral.code, "service_id": referral.service_id, "contact_id": referral.contact_id,
        "need_domains": domains, "urgency": referral.urgency, "status": referral.status, "outcome": referral.outcome,
        "passed_on_service_id": referral.passed_on_service_id, "created_at": referral.created_at,
        "updated_at": referral.updated_at, "acknowledged_at": referral.acknowledged_at,
        "niet_opgepakt": is_niet_opgepakt(referral, now),
    }


def steps(session: Session, referral_id: uuid.UUID) -> list[Step]:
    events = session.scalars(
        select(ReferralEvent).where(ReferralEvent.referral_id == referral_id).order_by(col(ReferralEvent.position))
    ).all()
    return [Step.model_validate(event, from_attributes=True) for event in events]


def _out(session: Session, referral: Referral) -> ReferralOut:
    summary = _summary(referral, _domains(session, [referral.id])[referral.id], utcnow())
    return ReferralOut(**summary, steps=steps(session, referral.id))


def list_referrals(
    session: Session, principal: Principal, *, incoming: bool, status: Status | None, since: datetime | None,
    cursor: str | None, limit: int,
) -> tuple[list[ReferralSummary], str | None]:
    """A practice's own referrals, or (`incoming`) those to the services the key receives for;
    newest first. `since`: changed since then."""
    if incoming == (principal.role == Role.practice):
        raise Forbidden(
            "A practice lists its own referrals; the receiving side lists direction=incoming.", field="direction"
        )
    statement = select(Referral).where(_visible(principal))
    if status is not None:
        statement = statement.where(Referral.status == status)
    if since is not None:
        statement = statement.where(col(Referral.updated_at) >= since)
    rows, next_cursor = keyset_page(
        session, statement, scope="referrals", order=[Referral.created_at, Referral.id],  # type: ignore[list-item]
        cursor=cursor, limit=limit, descending=True,
    )
    domains, now = _domains(session, [row.id for row in rows]), utcnow()
    return [ReferralSummary(**_summary(row, domains[row.id], now)) for row in rows], next_cursor


def changes(session: Session, principal: Principal, cursor: str | None, limit: int) -> ReferralChangePage:
    """Each step of the practice's referrals after `cursor`, in the order they were made."""
    _require_practice(principal)
    after = decode_cursor("referral-changes", cursor, [ReferralEvent.position])[0] if cursor else 0  # type: ignore[list-item]
    rows = session.execute(
        select(ReferralEvent, Referral.code)
        .join(Referral, Referral.id == ReferralEvent.referral_id)  # type: ignore[arg-type]
        .where(ReferralEvent.practice_client_id == principal.client_id, col(ReferralEvent.position) > after)
        .order_by(col(ReferralEvent.position)).limit(limit)
    ).all()
    items = [
        ReferralChange(position=event.position, code=code, status=event.status, outcome=event.outcome,
                       passed_on_service_id=event.passed_on_service_id, at=event.at)
        for event, code in rows
    ]
    last = items[-1].position if items else after
    return ReferralChangePage(items=items, next_cursor=encode_cursor("referral-changes", [last]))


def purge(session: Session, months: int, today: date | None = None) -> int:
    """Delete the referrals made before the first day of the month `months` months back
    (their steps and domains go with them; their counts in referral_tally stay); how many were."""
    today = today or local_today()
    first = today.year * 12 + today.month - 1 - months
    cutoff = f"{first // 12:04d}-{first % 12 + 1:02d}"
    doomed = select(Referral.id).where(Referral.month < cutoff)
    count = session.exec(select(func.count()).select_from(doomed.subquery())).one()
    # Explicitly, not by cascade alone: SQLite enforces foreign keys only where switched on.
    for model in (ReferralEvent, ReferralDomain):
        session.execute(table_of(model).delete().where(table_of(model).c.referral_id.in_(doomed)))
    session.execute(table_of(Referral).delete().where(table_of(Referral).c.id.in_(doomed)))
    return count


def waiting_too_long(session: Session, gemeenten: list[str] | None) -> int:
    """The referrals to these gemeenten's services (None: all) that nobody has acknowledged
    and whose deadline passed: the maintenance report's `referrals_niet_opgepakt`."""
    statement = select(func.count()).select_from(Referral).where(
        col(Referral.acknowledged_at).is_(None), col(Referral.acknowledge_by) < utcnow()
    )
    if gemeenten is not None:
        owned = select(ServiceOwner.service_id).where(col(ServiceOwner.gemeente_code).in_(gemeenten))
        statement = statement.where(col(Referral.service_id).in_(owned))
    return session.exec(statement).one()


def practice_of(session: Session, principal: Principal, code: str) -> tuple[ReferralOut, uuid.UUID, str]:
    """The referral the key may see, with its practice's client id and name (the FHIR requester)."""
    referral = _find(session, principal, code)
    name = session.exec(select(ApiClient.name).where(ApiClient.id == referral.practice_client_id)).one()
    return _out(session, referral), referral.practice_client_id, name
