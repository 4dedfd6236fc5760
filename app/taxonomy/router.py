from fastapi import APIRouter

from app.db import SessionDep
from app.http_cache import REFERENCE_SECONDS, cache_for
from app.request_checks import CheckedRoute
from app.taxonomy import service
from app.taxonomy.schemas import Taxonomy

router = APIRouter(tags=["taxonomy"], dependencies=[cache_for(REFERENCE_SECONDS)], route_class=CheckedRoute)


@router.get(
    "/taxonomy",
    summary="The vocabularies: need domains, target groups, access routes, front-door topics",
)
def read_taxonomy(session: SessionDep) -> Taxonomy:
    return service.get_taxonomy(session)
