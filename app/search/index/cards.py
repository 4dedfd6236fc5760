"""Storing the search cards (app/search/cards.py renders them)."""

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlmodel import Session

from app import dialect
from app.contacts.models import Contact
from app.db import table_of
from app.locations.models import Location
from app.search.cards import CONTACT, FORMAT, LOCATION, RENDER, SERVICE, card_of
from app.search.index import chunks
from app.search.models import SearchCard
from app.services.models import Service

_card = table_of(SearchCard)
_CHUNK = 500  # cards rendered and stored per statement
_ENTRIES = {SERVICE: table_of(Service), LOCATION: table_of(Location), CONTACT: table_of(Contact)}


def refresh(session: Session, wanted: Mapping[str, Iterable[uuid.UUID]]) -> None:
    """Render and store the cards of these entries (kind -> ids); an entry that renders
    none (deleted, erased, vanished) loses its card."""
    for kind, ids in wanted.items():
        for chunk in chunks(sorted(set(ids)), _CHUNK):
            _store(session, kind, chunk, RENDER[kind](session, chunk))


def store_service_cards(session: Session, cards: dict[uuid.UUID, dict[str, Any]]) -> None:
    """Store cards a bulk import made with service_card from the rows at hand (reading them
    back, in a transaction that has just grown the tables, cost PostgreSQL more than the import)."""
    _store(session, SERVICE, list(cards), cards)


def render_missing(session: Session) -> int:
    """Render every live entry's card that is missing or in another layout; how many were."""
    count = 0
    session.execute(delete(_card).where(_card.c.format != FORMAT))
    for kind, table in _ENTRIES.items():
        missing = select(table.c.id).select_from(table.outerjoin(_card, card_of(kind, table.c.id))).where(
            table.c.deleted_at.is_(None), _card.c.entity_id.is_(None)
        )
        ids = list(session.scalars(missing))
        refresh(session, {kind: ids})
        count += len(ids)
    return count


def clear(session: Session) -> None:
    session.execute(delete(_card))


def _store(session: Session, kind: str, ids: list[uuid.UUID], cards: dict[uuid.UUID, dict[str, Any]]) -> None:
    if gone := [entity_id for entity_id in ids if entity_id not in cards]:
        session.execute(delete(_card).where(_card.c.kind == kind, _card.c.entity_id.in_(gone)))
    dialect.upsert_rows(session, _card, [
        {"kind": kind, "entity_id": entity_id, "format": FORMAT, "body": orjson.dumps(card).decode()}
        for entity_id, card in cards.items()
    ])


def contents(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    return {_card.name: {tuple(row) for row in session.execute(select(_card))}}
