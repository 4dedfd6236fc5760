import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.geojson import GEOJSON_RESPONSE, feature_collection, wants_geojson
from app.http_cache import LIST_SECONDS, cache_for, conditional
from app.locations import service
from app.locations.schemas import LocationOut
from app.pagination import CursorParam, LimitParam, Page
from app.request_checks import CheckedRoute

router = APIRouter(
    prefix="/locations", tags=["locations"], dependencies=[cache_for(LIST_SECONDS)], route_class=CheckedRoute
)


@router.get(
    "", summary="List locations, by name (also as GeoJSON)", responses={**PROBLEM_RESPONSES, **GEOJSON_RESPONSE}
)
def list_locations(
    session: SessionDep,
    request: Request,
    response: Response,
    organisation_id: Annotated[uuid.UUID | None, Query(description="Only this organisation's.")] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[LocationOut]:
    items, next_cursor = service.list_locations(session, organisation_id=organisation_id, cursor=cursor, limit=limit)
    if wants_geojson(request):
        # The declared return type is the JSON page FastAPI documents; GeoJSON is the alternative representation.
        return feature_collection(  # type: ignore[return-value]
            items, lambda location: (location.lat, location.lon), next_cursor, response.headers)
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get("/{location_id}", summary="One location with its opening hours", responses=PROBLEM_RESPONSES)
def read_location(
    session: SessionDep, request: Request, response: Response, location_id: uuid.UUID) -> LocationOut:
    out = service.get_location(session, location_id)
    return conditional(request, response, out)
