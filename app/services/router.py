import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.pagination import CursorParam, LimitParam, Page
from app.services import service
from app.services.schemas import ServiceOut
from app.taxonomy.vocabulary import ServiceStatus
from app.visibility import ViewerDep

router = APIRouter(prefix="/services", tags=["services"])


@router.get("", summary="List services, by name", responses=PROBLEM_RESPONSES)
def list_services(
    session: SessionDep,
    viewer: ViewerDep,
    gemeente: Annotated[str | None, Query(pattern=r"^GM\d{4}$", description="Only those this gemeente owns.")] = None,
    organisation_id: uuid.UUID | None = None,
    domain: Annotated[str | None, Query(description="A ZRM need-domain code.", examples=["financien"])] = None,
    status: ServiceStatus | None = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[ServiceOut]:
    items, next_cursor = service.list_services(
        session, viewer, gemeente=gemeente, organisation_id=organisation_id, domain=domain,
        status=status, cursor=cursor, limit=limit,
    )
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get(
    "/{service_id}",
    summary="One service with its eligibility, locations and current contacts",
    responses=PROBLEM_RESPONSES,
)
def read_service(session: SessionDep, viewer: ViewerDep, service_id: uuid.UUID) -> ServiceOut:
    return service.get_service(session, service_id, viewer)
