import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.clients.auth import AdminClient
from app.clients.scope import Actor
from app.contacts import service
from app.contacts.schemas import ContactOut, Erasure
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES, WRITE_PROBLEM_RESPONSES
from app.http_cache import LIST_SECONDS, cache_for, conditional
from app.pagination import CursorParam, LimitParam, Page
from app.request_checks import CheckedRoute
from app.visibility import ViewerDep

router = APIRouter(
    prefix="/contacts", tags=["contacts"], dependencies=[cache_for(LIST_SECONDS)], route_class=CheckedRoute
)


@router.get(
    "",
    summary="List contact persons, by name",
    description="Current contacts only, unless `include_expired`. Direct lines are redacted for anonymous clients.",
    responses=PROBLEM_RESPONSES,
)
def list_contacts(
    session: SessionDep,
    viewer: ViewerDep,
    service_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    include_expired: Annotated[bool, Query(description="Also those outside their validity.")] = False,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[ContactOut]:
    items, next_cursor = service.list_contacts(
        session, viewer, service_id=service_id, organisation_id=organisation_id,
        include_expired=include_expired, cursor=cursor, limit=limit,
    )
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get("/{contact_id}", summary="One contact person", responses=PROBLEM_RESPONSES)
def read_contact(
    session: SessionDep, request: Request, viewer: ViewerDep, response: Response, contact_id: uuid.UUID) -> ContactOut:
    out = service.get_contact(session, contact_id, viewer)
    return conditional(request, response, out)


@router.post(
    "/{contact_id}/erase",
    summary="Erase a person who has left (admin; privacy)",
    description=(
        "Removes the person's name, external id and direct lines from the contact, from the audit trail "
        "and from change payloads; a tombstone with the id remains, and the contact reads as deleted (410). "
        "`mentions` lists the entries whose free text still names the person, for the steward to edit."
    ),
    responses=WRITE_PROBLEM_RESPONSES,
)
def erase_contact(session: SessionDep, admin: AdminClient, contact_id: uuid.UUID) -> Erasure:
    return service.erase_contact(session, contact_id, Actor.client(admin))
