"""The request's API client: `Authorization: Bearer <key>`, optional on reads."""

import threading
import time
from datetime import datetime
from typing import Annotated, Any

from cachetools import TTLCache
from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from app.clients import keys
from app.clients.models import Role
from app.clients.scope import Actor, Principal
from app.db import SessionDep, may_write, utcnow
from app.errors import Forbidden, InvalidInput, Unauthorized

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="wijkkaart"'}
# auto_error off: no key means anonymous. Two instances of the one scheme, so the OpenAPI
# document can tell a route that reads a key (optional) from one that needs it (required):
# see describe_optional_keys.
_REQUIRED, _OPTIONAL = "bearer", "bearer_optional"
_KEY_DESCRIPTION = "An API key: `Authorization: Bearer wk_…`."
_bearer = HTTPBearer(auto_error=False, scheme_name=_OPTIONAL, description=_KEY_DESCRIPTION)
_bearer_required = HTTPBearer(auto_error=False, scheme_name=_REQUIRED, description=_KEY_DESCRIPTION)


KEY_MEMORY_SECONDS = 1.0
_KEYS_REMEMBERED = 10_000
_clock = time.monotonic


class RecentKeys:
    """The keys that authenticated in this worker within KEY_MEMORY_SECONDS, by digest, for reads.

    Nearly every HIS request carries a key. Looking it up costs a database transaction and
    two thread-pool round trips: it would double the cost of a search answered from the
    response cache (docs/adr/0011-keyed-reads-without-round-trips.md). Reads take the client remembered here;
    writes always look the key up, so a change to a client's role or scope binds its next
    write at once. A revocation or scope change committed in this process forgets every
    key at once; one committed through another worker reaches this one within
    KEY_MEMORY_SECONDS. Expiry is checked on each use. Only keys that authenticated are
    remembered: a bad key is looked up, and refused, every time.
    """

    def __init__(self) -> None:
        # digest -> (client, key's expiry, the grants' generation it was looked up under)
        self._entries: TTLCache[str, tuple[Principal, datetime | None, int]] = TTLCache(
            _KEYS_REMEMBERED, KEY_MEMORY_SECONDS, timer=lambda: _clock()
        )
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def generation(self) -> int:
        """Pass to `remember`: what a lookup that began before a change to the grants committed
        found is never recalled."""
        return keys.GRANTS_CHANGED.count

    def recall(self, digest: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None or entry[2] != self.generation():
            return None
        if entry[1] is not None and entry[1] <= utcnow():
            return None  # an expired key is looked up, which says since when
        return entry[0]

    def remember(self, digest: str, principal: Principal, expires_at: datetime | None, generation: int) -> None:
        with self._lock:
            self._entries[digest] = (principal, expires_at, generation)


NOT_RECALLED = object()  # principal_without_lookup(): the key must be looked up, or refused


def principal_without_lookup(request: Request) -> Principal | object | None:
    """The client of a read, where no database lookup is needed: None for an anonymous
    request, the client whose key this worker remembers (RecentKeys); else NOT_RECALLED."""
    if (authorization := request.headers.get("authorization")) is None:
        return None
    scheme, key = get_authorization_scheme_param(authorization)
    if may_write(request) or scheme.lower() != "bearer" or not key:
        return NOT_RECALLED
    principal = request.app.state.recent_keys.recall(keys.digest(key))
    return NOT_RECALLED if principal is None else principal


def cannot_have_written(request: Request) -> bool:
    """Whether the request's client cannot have written: anonymous, or a key this worker
    remembers as one of a role that does not edit (app.replicas: its reads look up no last write)."""
    principal = principal_without_lookup(request)
    return principal is None or (isinstance(principal, Principal) and not principal.role.edits)


async def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The authenticated client, None for an anonymous request, 401 for a bad key.

    Async, so that an anonymous request, or a read with a key the worker remembers
    (RecentKeys), costs no thread-pool round trip; other keys are looked up in the thread pool."""
    if (known := principal_without_lookup(request)) is not NOT_RECALLED:
        return known  # type: ignore[return-value]  # NOT_RECALLED is excluded above; the rest is a Principal or None
    if credentials is None:
        raise Unauthorized("Send the API key as `Authorization: Bearer <key>`.", headers=_CHALLENGE)
    recent: RecentKeys = request.app.state.recent_keys
    generation = recent.generation()
    try:
        principal, expires_at = await run_in_threadpool(keys.authenticate, session, credentials.credentials)
    except Unauthorized as exc:
        exc.extra["headers"] = _CHALLENGE
        raise
    recent.remember(keys.digest(credentials.credentials), principal, expires_at, generation)
    return principal


OptionalClient = Annotated[Principal | None, Depends(get_principal)]


async def require_client(
    principal: OptionalClient, _described: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_required)],
) -> Principal:
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
    if not principal.role.edits:
        raise Forbidden(f"A {principal.role} key can read but not change the catalogue.")
    return Actor.client(principal, _staff_name(on_behalf_of) if on_behalf_of else None)


def _staff_name(header: str) -> str | None:
    # HTTP hands header bytes over as Latin-1; clients send names such as "Anouk Çelik" as UTF-8.
    try:
        name = header.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise InvalidInput("Send the staff member's name as UTF-8.", field="X-On-Behalf-Of") from None
    return name.strip() or None


WriteActor = Annotated[Actor, Depends(get_actor)]



def describe_optional_keys(spec: dict[str, Any]) -> None:
    """In the OpenAPI document, the key is required where require_client asks for it, and
    optional (`security: [{}, {bearer: []}]`) where only get_principal reads it: generated
    clients then call public routes without a key. (FastAPI lists every security dependency
    as an alternative; each of the two has its scheme name, and this merges them into one.)"""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            names = {name for requirement in operation.get("security", []) for name in requirement}
            if _REQUIRED in names:
                operation["security"] = [{_REQUIRED: []}]
            elif _OPTIONAL in names:
                operation["security"] = [{}, {_REQUIRED: []}]
    spec.get("components", {}).get("securitySchemes", {}).pop(_OPTIONAL, None)
