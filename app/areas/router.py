from typing import Annotated

from fastapi import APIRouter, Path

from app.areas import service
from app.areas.schemas import AreaOut, PostcodeOut
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.http_cache import REFERENCE_SECONDS, cache_for
from app.request_checks import CheckedRoute

router = APIRouter(tags=["areas and postcodes"], dependencies=[cache_for(REFERENCE_SECONDS)], route_class=CheckedRoute)


@router.get(
    "/areas/{code}",
    summary="One CBS area with its parent and children",
    responses=PROBLEM_RESPONSES,
)
def read_area(
    session: SessionDep,
    code: Annotated[str, Path(description="CBS code: GM0687, WK068700 or BU06870000.", examples=["WK068700"])],
) -> AreaOut:
    return service.get_area(session, code)


@router.get(
    "/postcodes/{postcode}",
    summary="Resolve a postcode to its point, gemeente, wijken and buurten",
    description="Accepts PC6 or PC4 in any spacing and case (`4331 ab` → `4331AB`). "
    "A PC6 without its own row resolves through its PC4 and says so in `resolved_via`.",
    responses=PROBLEM_RESPONSES,
)
def read_postcode(
    session: SessionDep,
    postcode: Annotated[str, Path(description="PC6 or PC4.", examples=["4331AB", "4331"])],
) -> PostcodeOut:
    return service.resolve_postcode(session, postcode)
