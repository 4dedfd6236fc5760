"""API clients and keys: creating them, issuing keys, revoking (app/clients/keys.py looks a key up)."""

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Row, or_
from sqlalchemy import select as core_select
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.areas.service import require_areas
from app.client_admin.schemas import ClientCreated, ClientOut, ClientWrite, KeyCreated, KeyOut
from app.clients.keys import GRANTS_CHANGED, KEY_PREFIX, digest
from app.clients.models import ApiClient, ApiKey, ClientGemeente, ClientOrganisation, Role
from app.db import table_of, utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.organisations.models import Organisation
from app.organisations.service import organisation_ownerships
from app.pagination import keyset_page

_LOAD = (
    selectinload(ApiClient.gemeenten),  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
    selectinload(ApiClient.organisations),  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
)
_key, _client = table_of(ApiKey), table_of(ApiClient)


def _keys(session: Session, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[KeyOut]]:
    keys: dict[uuid.UUID, list[KeyOut]] = {client_id: [] for client_id in client_ids}
    for key in session.exec(
        select(ApiKey).where(col(ApiKey.client_id).in_(client_ids)).order_by(col(ApiKey.created_at))
    ).all():
        keys[key.client_id].append(KeyOut.model_validate(key, from_attributes=True))
    return keys


def _to_outs(session: Session, clients: list[ApiClient]) -> list[ClientOut]:
    keys = _keys(session, [c.id for c in clients])
    return [
        ClientOut(
            **client.model_dump(include={"id", "name", "role", "created_at", "revoked_at"}),
            gemeenten=sorted(g.gemeente_code for g in client.gemeenten),
            organisations=sorted(o.organisation_id for o in client.organisations),
            keys=keys[client.id],
        )
        for client in clients
    ]


def _get(session: Session, client_id: uuid.UUID) -> ApiClient:
    client = session.exec(select(ApiClient).where(ApiClient.id == client_id).options(*_LOAD)).first()
    if client is None:
        raise NotFound(f"No API client with id {client_id}.", field="client_id")
    return client


def get_client(session: Session, client_id: uuid.UUID) -> ClientOut:
    return _to_outs(session, [_get(session, client_id)])[0]


def list_clients(session: Session, *, cursor: str | None, limit: int) -> tuple[list[ClientOut], str | None]:
    rows, next_cursor = keyset_page(
        session, select(ApiClient).options(*_LOAD), scope="clients",
        order=[ApiClient.name, ApiClient.id], cursor=cursor, limit=limit,  # type: ignore[list-item]  # SQLModel types columns and relationships as their Python values
    )
    return _to_outs(session, rows), next_cursor


def _apply(session: Session, client: ApiClient, data: ClientWrite) -> None:
    require_areas(session, data.gemeenten, "gemeenten")
    found = set(session.exec(select(Organisation.id).where(col(Organisation.id).in_(data.organisations))).all())
    if missing := [str(i) for i in data.organisations if i not in found]:
        raise InvalidInput(f"Unknown organisation id(s): {', '.join(missing)}.", field="organisations")
    # The key writes an entry only when both its gemeenten and its organisations allow it
    # (app/clients/scope.py): an organisation none of its gemeenten owns gives it nothing to write.
    owned = organisation_ownerships(session, data.organisations)
    if foreign := [str(i) for i in data.organisations if not owned[i].gemeenten & set(data.gemeenten)]:
        raise InvalidInput(
            f"Organisation(s) {', '.join(foreign)} belong to none of the gemeenten {', '.join(data.gemeenten)}: "
            "a key limited to them could change nothing.",
            field="organisations",
        )
    taken = session.exec(select(ApiClient.id).where(ApiClient.name == data.name, ApiClient.id != client.id)).first()
    if taken:
        raise Conflict(f"An API client named '{data.name}' exists already.", field="name")
    client.name, client.role = data.name, data.role
    client.gemeenten = [ClientGemeente(client_id=client.id, gemeente_code=code) for code in data.gemeenten]
    client.organisations = [ClientOrganisation(client_id=client.id, organisation_id=i) for i in data.organisations]


def create_client(session: Session, data: ClientWrite, key_expires_at: datetime | None) -> ClientCreated:
    client = ApiClient(name=data.name, role=data.role)
    _apply(session, client, data)
    session.add(client)
    session.flush()
    key = issue_key(session, client.id, key_expires_at)
    return ClientCreated(**get_client(session, client.id).model_dump(), key=key.key)


def update_client(session: Session, client_id: uuid.UUID, data: ClientWrite) -> ClientOut:
    client = _get(session, client_id)
    if data.role != Role.admin:
        _keep_admin_access(session, lambda key: key.client_id == client_id, "role")
    _apply(session, client, data)
    session.flush()
    GRANTS_CHANGED.mark(session)
    return get_client(session, client_id)


def issue_key(session: Session, client_id: uuid.UUID, expires_at: datetime | None) -> KeyCreated:
    if _get(session, client_id).revoked_at:
        raise Conflict("This client is revoked; create a new client instead.", field="client_id")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        client_id=client_id, prefix=key[:11], digest=digest(key),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return KeyCreated(**KeyOut.model_validate(row, from_attributes=True).model_dump(), key=key)


def revoke_key(session: Session, client_id: uuid.UUID, key_id: uuid.UUID) -> None:
    key = session.exec(select(ApiKey).where(ApiKey.id == key_id, ApiKey.client_id == client_id)).first()
    if key is None:
        raise NotFound(f"Client {client_id} has no key with id {key_id}.", field="key_id")
    _keep_admin_access(session, lambda usable: usable.id == key_id, "key_id")
    key.revoked_at = key.revoked_at or utcnow()
    session.flush()
    GRANTS_CHANGED.mark(session)


def revoke_client(session: Session, client_id: uuid.UUID) -> None:
    """Every key of the client stops working; the client stays, named in the audit trail."""
    client = _get(session, client_id)
    _keep_admin_access(session, lambda key: key.client_id == client_id, "client_id")
    client.revoked_at = client.revoked_at or utcnow()
    session.flush()
    GRANTS_CHANGED.mark(session)


def _keep_admin_access(session: Session, loses: Callable[[Row[tuple[uuid.UUID, uuid.UUID]]], bool], field: str) -> None:
    """409 when a change would take away the last admin key that works: nobody could then
    manage clients over the API (only `wijkkaart clients create` on the server could)."""
    usable = session.execute(
        core_select(_key.c.id, _key.c.client_id)
        .join(_client, _client.c.id == _key.c.client_id)
        .where(
            _client.c.role == Role.admin, _client.c.revoked_at.is_(None), _key.c.revoked_at.is_(None),
            or_(_key.c.expires_at.is_(None), _key.c.expires_at > utcnow()),
        )
    ).all()
    if usable and all(loses(key) for key in usable):
        raise Conflict("This would leave no working admin key: create another admin client first.", field=field)
