"""Problem reports: any key reports on a service, contact or location; the owning gemeente's
editors work through the queue."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from app.clients.auth import CurrentClient
from app.db import SessionDep
from app.errors import WRITE_PROBLEM_RESPONSES
from app.http_cache import cache_for
from app.pagination import CursorParam, LimitParam, Page
from app.reports import service
from app.reports.schemas import ReportCreate, ReportedEntity, ReportOut, ReportStatus
from app.request_checks import CheckedRoute

router = APIRouter(tags=["reports"], dependencies=[cache_for(0)], route_class=CheckedRoute)

_CREATE: dict[str, Any] = {
    "status_code": status.HTTP_201_CREATED, "responses": WRITE_PROBLEM_RESPONSES,
    "description": "A kind only, no text (it would attract patient data). Any key may report. Three open "
    "`contact_niet_bereikbaar` reports on a contact mark it `reachability_uncertain` until it is verified.",
}


def _reporting(entity_type: ReportedEntity) -> None:
    def report(session: SessionDep, principal: CurrentClient, entity_id: Annotated[uuid.UUID, Path(alias=f"{entity_type}_id")],
               data: ReportCreate) -> ReportOut:
        return service.create_report(session, principal, entity_type, entity_id, data)

    router.post(f"/{entity_type}s/{{{entity_type}_id}}/reports", summary=f"Report a problem with a {entity_type}",
                name=f"report_{entity_type}", **_CREATE)(report)


for _kind in ReportedEntity:
    _reporting(_kind)


@router.get("/reports", summary="The report queue of the key's gemeenten (editors; admins: all)",
            responses=WRITE_PROBLEM_RESPONSES)
def list_reports(
    session: SessionDep, principal: CurrentClient, status: ReportStatus | None = None,
    cursor: CursorParam = None, limit: LimitParam = 50,
) -> Page[ReportOut]:
    items, next_cursor = service.list_reports(session, principal, status, cursor, limit)
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.post("/reports/{report_id}/resolve", summary="Close a report: the entry was put right",
             responses=WRITE_PROBLEM_RESPONSES)
def resolve_report(session: SessionDep, principal: CurrentClient, report_id: uuid.UUID) -> ReportOut:
    return service.close_report(session, principal, report_id, ReportStatus.resolved)


@router.post("/reports/{report_id}/dismiss", summary="Close a report: nothing was wrong",
             responses=WRITE_PROBLEM_RESPONSES)
def dismiss_report(session: SessionDep, principal: CurrentClient, report_id: uuid.UUID) -> ReportOut:
    return service.close_report(session, principal, report_id, ReportStatus.dismissed)
