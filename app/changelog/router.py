import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.changelog import service
from app.changelog.schemas import AuditEntry
from app.changelog.service import EntityType
from app.clients.auth import CurrentClient
from app.db import SessionDep
from app.errors import WRITE_PROBLEM_RESPONSES
from app.fields import GemeenteCode, LocalDateTime
from app.http_cache import cache_for
from app.pagination import CursorParam, LimitParam, Page
from app.request_checks import CheckedRoute

router = APIRouter(tags=["audit"], dependencies=[cache_for(0)], route_class=CheckedRoute)


@router.get(
    "/audit",
    summary="The audit trail: who changed what, when, for whom (editors and admins)",
    description=(
        "Newest first. An editor sees the changes to entries of its own gemeenten. Times without a zone "
        "are Europe/Amsterdam."
    ),
    responses=WRITE_PROBLEM_RESPONSES,
)
def list_audit(
    session: SessionDep,
    principal: CurrentClient,
    entity_type: EntityType | None = None,
    entity_id: Annotated[str | None, Query(max_length=36)] = None,
    client_id: uuid.UUID | None = None,
    gemeente: Annotated[GemeenteCode | None, Query(description="Changes to entries this gemeente owns.")] = None,
    since: Annotated[LocalDateTime | None, Query(description="From this moment (inclusive).")] = None,
    until: Annotated[LocalDateTime | None, Query(description="Before this moment.")] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[AuditEntry]:
    items, next_cursor = service.list_audit(
        session, principal, entity_type=entity_type, entity_id=entity_id, client_id=client_id, gemeente=gemeente,
        since=since, until=until, cursor=cursor, limit=limit,
    )
    return Page(items=items, next_cursor=next_cursor, limit=limit)
