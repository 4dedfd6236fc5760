import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.fields import AreaCode
from app.front_doors import service
from app.front_doors.schemas import FrontDoorOut
from app.pagination import CursorParam, LimitParam, Page
from app.visibility import ViewerDep

router = APIRouter(prefix="/front-doors", tags=["front doors"])


@router.get("", summary="List front doors, by area and topic", responses=PROBLEM_RESPONSES)
def list_front_doors(
    session: SessionDep,
    viewer: ViewerDep,
    area_code: Annotated[AreaCode | None, Query()] = None,
    topic: Annotated[str | None, Query(max_length=40, examples=["wgs"])] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[FrontDoorOut]:
    items, next_cursor = service.list_front_doors(
        session, viewer, area_code=area_code, topic=topic, cursor=cursor, limit=limit
    )
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get("/{front_door_id}", summary="One front door", responses=PROBLEM_RESPONSES)
def read_front_door(session: SessionDep, viewer: ViewerDep, front_door_id: uuid.UUID) -> FrontDoorOut:
    return service.get_front_door(session, front_door_id, viewer)
