"""Problem reports: into the owning gemeenten's queue; three open `contact_niet_bereikbaar`
reports since a contact was last verified make its reachability uncertain."""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable

from sqlalchemy import ColumnElement, func, true
from sqlmodel import Session, col, select

from app.changelog.service import Action, EntityType, write_and_record
from app.clients.models import Role
from app.clients.scope import Actor, Principal
from app.contacts.models import Contact
from app.contacts.service import contact_ownerships, reachability_uncertain
from app.db import utcnow
from app.entity import CatalogueEntry, Ownership, get_live
from app.errors import Conflict, Forbidden, NotFound
from app.locations.models import Location
from app.locations.service import location_ownerships
from app.pagination import keyset_page
from app.reports.models import EntryReport, EntryReportGemeente
from app.reports.schemas import ReportCreate, ReportedEntity, ReportKind, ReportOut, ReportStatus
from app.services.models import Service
from app.services.owners import service_ownerships

# Open reports of this many keys since the last verification make a contact's reachability uncertain.
UNREACHABLE_REPORTS = 3
# The change a report makes to a contact is the system's, not the reporter's: the reporter
# may not change the catalogue, and the audit trail says where it came from.
_SYSTEM = Actor("system:reports")

_Ownerships = Callable[[Session, Iterable[uuid.UUID]], dict[uuid.UUID, Ownership]]
_ENTRIES: dict[ReportedEntity, tuple[type[CatalogueEntry], _Ownerships]] = {
    ReportedEntity.service: (Service, service_ownerships),
    ReportedEntity.contact: (Contact, contact_ownerships),
    ReportedEntity.location: (Location, location_ownerships),
}


def create_report(
    session: Session, principal: Principal, entity_type: ReportedEntity, entity_id: uuid.UUID, data: ReportCreate,
) -> ReportOut:
    model, ownerships = _ENTRIES[entity_type]
    get_live(session, model, entity_id)
    gemeenten = sorted(ownerships(session, [entity_id])[entity_id].gemeenten)
    report = EntryReport(entity_type=entity_type, entity_id=entity_id, kind=data.kind, status=ReportStatus.open,
                         reporter_client_id=principal.client_id)
    session.add(report)
    session.flush()
    session.add_all(EntryReportGemeente(report_id=report.id, gemeente_code=code) for code in gemeenten)
    session.flush()
    if entity_type == ReportedEntity.contact and data.kind == ReportKind.contact_niet_bereikbaar:
        _judge_reachability(session, entity_id, gemeenten)
    return _out(report, gemeenten)


def _judge_reachability(session: Session, contact_id: uuid.UUID, gemeenten: list[str]) -> None:
    """Mark the contact uncertain when enough open reports came since its last verification;
    clear the mark when, after one was closed, too few remain."""
    contact = session.exec(select(Contact).where(Contact.id == contact_id).with_for_update()).one()
    counted = select(func.count()).select_from(EntryReport).where(
        EntryReport.entity_type == ReportedEntity.contact, EntryReport.entity_id == contact_id,
        EntryReport.kind == ReportKind.contact_niet_bereikbaar, EntryReport.status == ReportStatus.open,
    )
    if contact.last_verified_at is not None:
        counted = counted.where(col(EntryReport.created_at) > contact.last_verified_at)
    enough = session.exec(counted).one() >= UNREACHABLE_REPORTS
    uncertain = reachability_uncertain(contact.unreachable_reported_at, contact.last_verified_at)
    if enough == uncertain or contact.deleted_at is not None:
        return
    before = contact.unreachable_reported_at
    contact.unreachable_reported_at = utcnow() if enough else None
    write_and_record(
        session, EntityType.contact, contact, _SYSTEM, Action.update, gemeenten=gemeenten,
        changes={"unreachable_reported_at": [before.isoformat() if before else None,
                                             contact.unreachable_reported_at.isoformat() if enough else None]},  # type: ignore[union-attr]
    )


def _queue_of(principal: Principal) -> ColumnElement[bool]:
    """The reports in the key's queue: an admin's, all; an editor's, its gemeenten's."""
    if principal.role == Role.admin:
        return true()
    if principal.role != Role.editor:
        raise Forbidden("The report queue is for the owning gemeente's editors.")
    theirs = select(EntryReportGemeente.report_id).where(col(EntryReportGemeente.gemeente_code).in_(sorted(principal.gemeenten)))
    return col(EntryReport.id).in_(theirs)


def _gemeenten(session: Session, report_ids: list[uuid.UUID]) -> defaultdict[uuid.UUID, list[str]]:
    found: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    for report_id, code in session.exec(
        select(EntryReportGemeente.report_id, EntryReportGemeente.gemeente_code)
        .where(col(EntryReportGemeente.report_id).in_(report_ids)).order_by(EntryReportGemeente.gemeente_code)
    ):
        found[report_id].append(code)
    return found


def _out(report: EntryReport, gemeenten: list[str]) -> ReportOut:
    return ReportOut(id=report.id, entity_type=report.entity_type, entity_id=report.entity_id, kind=report.kind,
                     status=report.status, gemeenten=gemeenten, created_at=report.created_at, closed_at=report.closed_at)


def list_reports(
    session: Session, principal: Principal, status: ReportStatus | None, cursor: str | None, limit: int,
) -> tuple[list[ReportOut], str | None]:
    statement = select(EntryReport).where(_queue_of(principal))
    if status is not None:
        statement = statement.where(EntryReport.status == status)
    rows, next_cursor = keyset_page(
        session, statement, scope="reports", order=[EntryReport.created_at, EntryReport.id],  # type: ignore[list-item]
        cursor=cursor, limit=limit,
    )
    gemeenten = _gemeenten(session, [row.id for row in rows])
    return [_out(row, gemeenten[row.id]) for row in rows], next_cursor


def close_report(session: Session, principal: Principal, report_id: uuid.UUID, status: ReportStatus) -> ReportOut:
    """Resolve or dismiss an open report of the key's queue."""
    report = session.exec(
        select(EntryReport).where(EntryReport.id == report_id, _queue_of(principal)).with_for_update()
    ).first()
    if report is None:
        raise NotFound(f"No report {report_id} in this key's queue.", field="report_id")
    if report.status != ReportStatus.open:
        raise Conflict(f"The report is {report.status} already.", field="status", current_status=report.status)
    report.status, report.closed_at, report.closed_by_client_id = status, utcnow(), principal.client_id
    session.add(report)
    session.flush()
    gemeenten = _gemeenten(session, [report.id])[report.id]
    if report.entity_type == ReportedEntity.contact and report.kind == ReportKind.contact_niet_bereikbaar:
        _judge_reachability(session, report.entity_id, gemeenten)
    return _out(report, gemeenten)


def open_reports(session: Session, gemeenten: list[str] | None) -> int:
    """How many reports are open in these gemeenten's queues (None: all): the stale report's count."""
    statement = select(func.count()).select_from(EntryReport).where(EntryReport.status == ReportStatus.open)
    if gemeenten is not None:
        theirs = select(EntryReportGemeente.report_id).where(col(EntryReportGemeente.gemeente_code).in_(gemeenten))
        statement = statement.where(col(EntryReport.id).in_(theirs))
    return session.exec(statement).one()
