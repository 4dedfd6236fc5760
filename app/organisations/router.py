import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.http_cache import LIST_SECONDS, cache_for, conditional
from app.organisations import service
from app.organisations.schemas import OrganisationOut
from app.pagination import CursorParam, LimitParam, Page
from app.request_checks import CheckedRoute

router = APIRouter(
    prefix="/organisations", tags=["organisations"], dependencies=[cache_for(LIST_SECONDS)], route_class=CheckedRoute
)


@router.get("", summary="List organisations, by name", responses=PROBLEM_RESPONSES)
def list_organisations(
    session: SessionDep,
    gemeente: Annotated[str | None, Query(pattern=r"^GM[0-9]{4}$", description="Only those this gemeente owns.")] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[OrganisationOut]:
    items, next_cursor = service.list_organisations(session, gemeente=gemeente, cursor=cursor, limit=limit)
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get("/{organisation_id}", summary="One organisation", responses=PROBLEM_RESPONSES)
def read_organisation(
    session: SessionDep, request: Request, response: Response, organisation_id: uuid.UUID) -> OrganisationOut:
    out = service.get_organisation(session, organisation_id)
    return conditional(request, response, out)
