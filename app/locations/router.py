import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.locations import service
from app.locations.schemas import LocationOut
from app.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/locations", tags=["locations"])


@router.get("", summary="List locations, by name", responses=PROBLEM_RESPONSES)
def list_locations(
    session: SessionDep,
    organisation_id: Annotated[uuid.UUID | None, Query(description="Only this organisation's.")] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[LocationOut]:
    items, next_cursor = service.list_locations(session, organisation_id=organisation_id, cursor=cursor, limit=limit)
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get("/{location_id}", summary="One location with its opening hours", responses=PROBLEM_RESPONSES)
def read_location(session: SessionDep, location_id: uuid.UUID) -> LocationOut:
    return service.get_location(session, location_id)
