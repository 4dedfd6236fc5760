import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.contacts import service
from app.contacts.schemas import ContactOut
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.pagination import CursorParam, LimitParam, Page
from app.visibility import ViewerDep

router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.get(
    "",
    summary="List contact persons, by name",
    description="Current contacts only, unless `include_expired`. Direct lines are redacted for anonymous clients.",
    responses=PROBLEM_RESPONSES,
)
def list_contacts(
    session: SessionDep,
    viewer: ViewerDep,
    service_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    include_expired: Annotated[bool, Query(description="Also those outside their validity.")] = False,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[ContactOut]:
    items, next_cursor = service.list_contacts(
        session, viewer, service_id=service_id, organisation_id=organisation_id,
        include_expired=include_expired, cursor=cursor, limit=limit,
    )
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get("/{contact_id}", summary="One contact person", responses=PROBLEM_RESPONSES)
def read_contact(session: SessionDep, viewer: ViewerDep, contact_id: uuid.UUID) -> ContactOut:
    return service.get_contact(session, contact_id, viewer)
