import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.fields import AreaCode
from app.front_doors import service
from app.front_doors.schemas import FrontDoorOut
from app.http_cache import LIST_SECONDS, cache_for, conditional
from app.maintenance.kinds import FRONT_DOOR
from app.maintenance.router import add_write_routes
from app.pagination import CursorParam, LimitParam, Page
from app.visibility import ViewerDep

router = APIRouter(prefix="/front-doors", tags=["front doors"], dependencies=[cache_for(LIST_SECONDS)])


@router.get(
    "",
    summary="List front doors, or the ones for a postcode",
    description="With `postcode`: per topic (need domain or statutory route), the entry point for that "
    "address — the most specific front door (buurt, then wijk, then gemeente) with its current contact. "
    "The answer to 'whom do I call here for debts, Wmo or youth?'.",
    responses=PROBLEM_RESPONSES,
)
def list_front_doors(
    session: SessionDep,
    viewer: ViewerDep,
    postcode: Annotated[str | None, Query(max_length=10, examples=["4331AB"])] = None,
    area_code: Annotated[AreaCode | None, Query()] = None,
    topic: Annotated[str | None, Query(max_length=40, examples=["wgs"])] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[FrontDoorOut]:
    if postcode is not None:
        return Page(items=service.front_doors_for_postcode(session, viewer, postcode), next_cursor=None, limit=limit)
    items, next_cursor = service.list_front_doors(
        session, viewer, area_code=area_code, topic=topic, cursor=cursor, limit=limit
    )
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get("/{front_door_id}", summary="One front door", responses=PROBLEM_RESPONSES)
def read_front_door(
    session: SessionDep, request: Request, viewer: ViewerDep, response: Response, front_door_id: uuid.UUID
) -> FrontDoorOut:
    out = service.get_front_door(session, front_door_id, viewer)
    return conditional(request, response, out)


add_write_routes(router, FRONT_DOOR, service.get_front_door, FrontDoorOut)
