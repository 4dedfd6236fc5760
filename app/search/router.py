from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.http_cache import LIST_SECONDS, cache_for
from app.search import service
from app.search.schemas import SearchCriteria, SearchPage, SearchRequest
from app.visibility import ViewerDep

router = APIRouter(prefix="/search", tags=["search"], dependencies=[cache_for(LIST_SECONDS)])

_DESCRIPTION = (
    "What helps with this problem, near this patient — and whom to call. Results are ranked by how "
    "specifically a service covers the patient (buurt, wijk, gemeente, then radius for services open "
    "to anyone), then by text relevance when `q` is given, then by distance."
)


@router.get("", summary="Search services by postcode or point", description=_DESCRIPTION, responses=PROBLEM_RESPONSES)
def search_get(session: SessionDep, viewer: ViewerDep, criteria: Annotated[SearchCriteria, Query()]) -> SearchPage:
    return service.search(session, criteria, viewer)


@router.post(
    "",
    summary="Search with the patient's attributes, for an eligibility verdict per result",
    description=_DESCRIPTION + " Patient attributes are used for this answer only: never stored, never "
    "logged, and the response is not cached (`Cache-Control: no-store`).",
    responses=PROBLEM_RESPONSES,
)
def search_post(session: SessionDep, viewer: ViewerDep, request: SearchRequest, response: Response) -> SearchPage:
    response.headers["Cache-Control"] = "no-store"
    criteria = SearchCriteria.model_validate(request.model_dump(exclude={"patient", "eligible_only"}))
    return service.search(session, criteria, viewer, patient=request.patient, eligible_only=request.eligible_only)
