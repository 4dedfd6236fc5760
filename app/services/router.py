import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from app.db import SessionDep, reads_only
from app.errors import PROBLEM_RESPONSES
from app.http_cache import LIST_SECONDS, cache_for, conditional
from app.pagination import CursorParam, LimitParam, Page
from app.request_checks import CheckedRoute
from app.services import service
from app.services.eligibility import EligibilityVerdict, PatientAttributes, check_service_eligibility
from app.services.schemas import ServiceOut
from app.taxonomy.vocabulary import ServiceStatus
from app.visibility import ViewerDep

router = APIRouter(
    prefix="/services", tags=["services"], dependencies=[cache_for(LIST_SECONDS)], route_class=CheckedRoute
)


@router.get("", summary="List services, by name", responses=PROBLEM_RESPONSES)
def list_services(
    session: SessionDep,
    viewer: ViewerDep,
    gemeente: Annotated[str | None, Query(pattern=r"^GM[0-9]{4}$", description="Only those this gemeente owns.")] = None,
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
def read_service(
    session: SessionDep, request: Request, viewer: ViewerDep, response: Response, service_id: uuid.UUID) -> ServiceOut:
    out = service.get_service(session, service_id, viewer)
    return conditional(request, response, out)


VERDICT_EXAMPLE = {
    "verdict": "not_eligible",
    "failed": [{"rule": "max_income_pct_social_minimum", "detail": "Inkomen tot 120% van het sociaal minimum; patiënt 135%"}],
    "unknown": [],
    "conditions": [],
}
PATIENT_EXAMPLES = {
    "older_single": {
        "summary": "A single 70-year-old on a low income",
        "value": {
            "age": 70, "income_pct_social_minimum": 110, "household": "alleenstaand",
            "target_groups": ["ouderen"], "postcode": "4331AB",
        },
    },
    "age_only": {"summary": "Only the age known (other rules come back unknown)", "value": {"age": 40}},
}


@router.post(
    "/{service_id}/eligibility",
    summary="Whether a patient is eligible for one service",
    description=(
        "Checks the service's eligibility rules against the patient's attributes: `eligible`, "
        "`not_eligible` (each failed rule named) or `unknown` (each missing attribute named). "
        "Leave out what is not known. The attributes are used for this answer only: never stored, "
        "never logged, and the response is sent with `Cache-Control: no-store`. They travel in the "
        "body, not the URL, so that no access log records them."
    ),
    responses={**PROBLEM_RESPONSES, 200: {"content": {"application/json": {"example": VERDICT_EXAMPLE}}}},
)
@reads_only
def check_eligibility(
    session: SessionDep,
    response: Response,
    service_id: uuid.UUID,
    patient: Annotated[PatientAttributes, Body(openapi_examples=PATIENT_EXAMPLES)],
) -> EligibilityVerdict:
    response.headers["Cache-Control"] = "no-store"
    return check_service_eligibility(session, service_id, patient)
