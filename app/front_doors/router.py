import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES, InvalidInput
from app.fields import AreaCode
from app.front_doors import service
from app.front_doors.schemas import FrontDoorOut, FrontDoorPage
from app.http_cache import LIST_SECONDS, cache_for, conditional
from app.pagination import CursorParam, LimitParam
from app.request_checks import CheckedRoute
from app.visibility import ViewerDep

router = APIRouter(
    prefix="/front-doors", tags=["front doors"], dependencies=[cache_for(LIST_SECONDS)], route_class=CheckedRoute
)


_LIST_DESCRIPTION = (
    "Without `postcode`: every front door, filtered by `area_code` and `topic`, in pages.\n\n"
    "With `postcode` (PC6 or PC4): per topic (need domain or statutory route), the entry point for that "
    "address — the most specific front door (buurt, then wijk, then gemeente) with its current contact; the "
    "answer to 'whom do I call here for debts, Wmo or youth?'. Items are ordered by topic, at most one per "
    "topic, and page with `limit` and `cursor` like any list (a cursor holds for the postcode and topics it "
    "came with). `place` is the postcode as resolved; each item's `area` is the area its front door was "
    "chosen for. Where the postcode spans several buurten (or wijken) with a front door for a topic, the "
    "lowest CBS code wins: an item chosen at a buurt while `place.buurten` lists several (or at a wijk while "
    "`place.wijken` does) may not be the patient's own; a PC6 the wijkkaart knows resolves to one buurt. "
    "`area_code` cannot be combined with `postcode` (422): the postcode decides the areas.\n\n"
    "`topic` may be repeated: a front door for any of them; an unknown topic is a 422."
)


@router.get(
    "",
    summary="List front doors, or the ones for a postcode",
    description=_LIST_DESCRIPTION,
    responses=PROBLEM_RESPONSES,
)
def list_front_doors(
    session: SessionDep,
    viewer: ViewerDep,
    postcode: Annotated[str | None, Query(max_length=10, examples=["4331AB"])] = None,
    area_code: Annotated[AreaCode | None, Query(description="Not with `postcode`.")] = None,
    topic: Annotated[
        list[Annotated[str, Field(max_length=40)]] | None,
        Query(description="Need domain or statutory route (GET /api/v1/taxonomy); repeat for several.",
              examples=[["wgs"]]),
    ] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> FrontDoorPage:
    if postcode is None:
        items, next_cursor = service.list_front_doors(
            session, viewer, area_code=area_code, topics=topic or [], cursor=cursor, limit=limit
        )
        return FrontDoorPage(items=items, next_cursor=next_cursor, limit=limit, place=None)
    if area_code is not None:
        raise InvalidInput("Give a postcode or an area_code, not both: the postcode decides the areas.", field="area_code")
    place, items, next_cursor = service.front_doors_for_postcode(
        session, viewer, postcode, topics=topic or [], cursor=cursor, limit=limit
    )
    return FrontDoorPage(items=items, next_cursor=next_cursor, limit=limit, place=place)


@router.get("/{front_door_id}", summary="One front door", responses=PROBLEM_RESPONSES)
def read_front_door(
    session: SessionDep, request: Request, viewer: ViewerDep, response: Response, front_door_id: uuid.UUID
) -> FrontDoorOut:
    out = service.get_front_door(session, front_door_id, viewer)
    return conditional(request, response, out)
