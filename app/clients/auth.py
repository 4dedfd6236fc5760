"""The request's API client: `Authorization: Bearer <key>`, optional on reads."""

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.clients import service
from app.clients.models import Role
from app.clients.scope import Actor, Principal
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="wijkkaart"'}
# auto_error off: no key means anonymous; the scheme still shows in the OpenAPI docs.
_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer wk_…`.")


async def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The authenticated client, None for an anonymous request, 401 for a bad key.

    Async, so that an anonymous request costs no thread-pool round trip; a key is looked
    up in the thread pool."""
    if credentials is None:
        if "authorization" in request.headers:
            raise Unauthorized("Send the API key as `Authorization: Bearer <key>`.", headers=_CHALLENGE)
        return None
    try:
        return await run_in_threadpool(service.authenticate, session, credentials.credentials)
    except Unauthorized as exc:
        exc.extra["headers"] = _CHALLENGE
        raise


OptionalClient = Annotated[Principal | None, Depends(get_principal)]


async def require_client(principal: OptionalClient) -> Principal:
    if principal is None:
        raise Unauthorized("This needs an API key: `Authorization: Bearer <key>`.", headers=_CHALLENGE)
    return principal


CurrentClient = Annotated[Principal, Depends(require_client)]


async def require_admin(principal: CurrentClient) -> Principal:
    if principal.role != Role.admin:
        raise Forbidden("Only an admin key may do this.")
    return principal


AdminClient = Annotated[Principal, Depends(require_admin)]


def get_actor(
    principal: CurrentClient,
    on_behalf_of: Annotated[
        str | None,
        Header(
            alias="X-On-Behalf-Of", max_length=200,
            description="The staff member the change is made for; recorded in the audit trail.",
        ),
    ] = None,
) -> Actor:
    """Who writes: an editor or admin key, with the staff member it acts for."""
    if principal.role == Role.reader:
        raise Forbidden("A reader key can read but not change the catalogue.")
    return Actor.client(principal, on_behalf_of.strip() or None if on_behalf_of else None)


WriteActor = Annotated[Actor, Depends(get_actor)]
