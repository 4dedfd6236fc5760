"""/referrals: practices refer and read feedback; the receiving side reads and reports progress."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from app.clients.auth import CurrentClient
from app.db import SessionDep
from app.errors import WRITE_PROBLEM_RESPONSES
from app.fhir.outcome import PREFIX, FhirResponse
from app.fhir.router import json_only
from app.fields import LocalDateTime
from app.http_cache import cache_for
from app.pagination import CursorParam, LimitParam, Page
from app.referrals import fhir, service
from app.referrals.schemas import ReferralChangePage, ReferralCreate, ReferralOut, ReferralSummary, Status, StatusChange
from app.request_checks import CheckedRoute

# Private to the key that reads them, and changing: never cached.
router = APIRouter(prefix="/referrals", tags=["referrals"], dependencies=[cache_for(0)], route_class=CheckedRoute)

Code = Annotated[str, Path(max_length=40, description="The referral code, e.g. WK-MHS6-7MS5-TR6 (case and dashes free).")]


@router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Refer to a service (practice keys)",
    description="Returns the referral code for the handout. The body takes only these fields: "
    "any other (a name, a BSN, a date of birth, a postcode) is refused with 422, so no patient data is sent.",
    responses=WRITE_PROBLEM_RESPONSES,
)
def create_referral(
    session: SessionDep, principal: CurrentClient, request: Request, response: Response, data: ReferralCreate,
) -> ReferralOut:
    referral = service.create_referral(session, principal, data)
    response.headers["Location"] = f"{request.url.path.rstrip('/')}/{referral.code}"
    return referral


@router.get(
    "", summary="A practice's own referrals, or (direction=incoming) those to the services a key receives for",
    description="Newest first. Practice keys see their own referrals; a provider's key (an editor limited to "
    "organisations) or an owning gemeente's editor sees `direction=incoming`.",
    responses=WRITE_PROBLEM_RESPONSES,
)
def list_referrals(
    session: SessionDep,
    principal: CurrentClient,
    direction: Annotated[Literal["outgoing", "incoming"] | None, Query(
        description="Default: outgoing for a practice key, incoming for the receiving side.")] = None,
    status: Status | None = None,
    since: Annotated[LocalDateTime | None, Query(description="Changed at or after this moment.")] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[ReferralSummary]:
    incoming = direction == "incoming" if direction else principal.role != "practice"
    items, next_cursor = service.list_referrals(
        session, principal, incoming=incoming, status=status, since=since, cursor=cursor, limit=limit,
    )
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get(
    "/changes", summary="The practice's change feed: each step of its referrals, in order",
    description="Poll with the `next_cursor` of the previous answer; it stays the same while nothing is new.",
    responses=WRITE_PROBLEM_RESPONSES,
)
def referral_changes(
    session: SessionDep, principal: CurrentClient, cursor: CursorParam = None, limit: LimitParam = 100,
) -> ReferralChangePage:
    return service.changes(session, principal, cursor, limit)


@router.get(
    "/{code}", summary="One referral, with its dated steps (the practice that made it, or the receiving side)",
    responses=WRITE_PROBLEM_RESPONSES,
)
def read_referral(session: SessionDep, principal: CurrentClient, code: Code) -> ReferralOut:
    return service.get_referral(session, principal, code)


@router.post(
    "/{code}/status", summary="Report progress (the receiving side)",
    description="Forward only: ontvangen, contact_gelegd, intake_gedaan, afgesloten (with an outcome); steps may "
    "be skipped. Anything else is a 409 naming the current status.",
    responses=WRITE_PROBLEM_RESPONSES,
)
def change_referral_status(session: SessionDep, principal: CurrentClient, code: Code, change: StatusChange) -> ReferralOut:
    return service.change_status(session, principal, code, change)



# FHIR R4 (app/referrals/fhir.py), beside the catalogue's /fhir routes; described by their
# CapabilityStatement's conventions, not the OpenAPI document.
fhir_router = APIRouter(
    prefix=PREFIX, tags=["FHIR R4"], include_in_schema=False, default_response_class=FhirResponse,
    dependencies=[Depends(json_only), cache_for(0)],
)


@fhir_router.get("/ServiceRequest/{code}")
def read_service_request(session: SessionDep, principal: CurrentClient, code: Code) -> dict[str, Any]:
    return fhir.service_request(*service.practice_of(session, principal, code))


@fhir_router.get("/Task/{code}")
def read_task(session: SessionDep, principal: CurrentClient, code: Code) -> dict[str, Any]:
    return fhir.task(*service.practice_of(session, principal, code))
