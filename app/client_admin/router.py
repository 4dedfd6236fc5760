import uuid

from fastapi import APIRouter, status

from app.client_admin import service
from app.client_admin.schemas import ClientCreate, ClientCreated, ClientOut, ClientWrite, KeyCreate, KeyCreated
from app.clients.auth import AdminClient, CurrentClient
from app.db import SessionDep
from app.errors import WRITE_PROBLEM_RESPONSES
from app.http_cache import cache_for
from app.pagination import CursorParam, LimitParam, Page
from app.request_checks import CheckedRoute

router = APIRouter(tags=["clients"], dependencies=[cache_for(0)], route_class=CheckedRoute)


@router.get("/me", summary="The API client this key belongs to", responses=WRITE_PROBLEM_RESPONSES)
def read_me(session: SessionDep, principal: CurrentClient) -> ClientOut:
    return service.get_client(session, principal.client_id)


@router.post(
    "/clients", status_code=status.HTTP_201_CREATED, summary="Create an API client with its first key (admin)",
    description="The response holds the key itself; it is shown this once and stored only as a digest.",
    responses=WRITE_PROBLEM_RESPONSES,
)
def create_client(session: SessionDep, _admin: AdminClient, data: ClientCreate) -> ClientCreated:
    return service.create_client(session, data, data.key_expires_at)


@router.get("/clients", summary="List API clients (admin)", responses=WRITE_PROBLEM_RESPONSES)
def list_clients(
    session: SessionDep, _admin: AdminClient, cursor: CursorParam = None, limit: LimitParam = 50
) -> Page[ClientOut]:
    items, next_cursor = service.list_clients(session, cursor=cursor, limit=limit)
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get("/clients/{client_id}", summary="One API client (admin)", responses=WRITE_PROBLEM_RESPONSES)
def read_client(session: SessionDep, _admin: AdminClient, client_id: uuid.UUID) -> ClientOut:
    return service.get_client(session, client_id)


@router.put(
    "/clients/{client_id}", summary="Change a client's name, role or scope (admin)", responses=WRITE_PROBLEM_RESPONSES
)
def update_client(session: SessionDep, _admin: AdminClient, client_id: uuid.UUID, data: ClientWrite) -> ClientOut:
    return service.update_client(session, client_id, data)


@router.delete(
    "/clients/{client_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a client and with it all its keys (admin)", responses=WRITE_PROBLEM_RESPONSES,
)
def revoke_client(session: SessionDep, _admin: AdminClient, client_id: uuid.UUID) -> None:
    service.revoke_client(session, client_id)


@router.post(
    "/clients/{client_id}/keys", status_code=status.HTTP_201_CREATED,
    summary="Issue another key, e.g. to rotate (admin)", responses=WRITE_PROBLEM_RESPONSES,
)
def issue_key(session: SessionDep, _admin: AdminClient, client_id: uuid.UUID, data: KeyCreate) -> KeyCreated:
    return service.issue_key(session, client_id, data.expires_at)


@router.delete(
    "/clients/{client_id}/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke one key (admin)", responses=WRITE_PROBLEM_RESPONSES,
)
def revoke_key(session: SessionDep, _admin: AdminClient, client_id: uuid.UUID, key_id: uuid.UUID) -> None:
    service.revoke_key(session, client_id, key_id)
