"""The one writer of the search index: after a write (the change log's hook), after a bulk
import, and over the whole catalogue (`wijkkaart db upgrade`, a rebuild)."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, select

from app.changelog.service import on_change
from app.dialect import fulltext
from app.search.cards import CONTACT, LOCATION, SERVICE
from app.search.index import cards, documents, entries_written, services_of


def follow_changes() -> None:
    """From now on, each write refreshes what the index derives from what it wrote, in the
    writer's transaction. Each entry point that writes calls this once at start-up: the app
    (app/main.py), the command line (app/cli.py) and the demo loader (app/demo.py)."""
    on_change(refresh)


def refresh(session: Session, changed: Iterable[tuple[str, object]]) -> None:
    """Refresh what these written entries ((entity type, id) as the change log records them)
    feed: a service's card and document; an organisation's services' (its name is in
    their cards and documents); a location's card; a contact's card."""
    written = entries_written(changed, ("service", "organisation", "location", "contact"))
    if not any(written.values()):
        return
    session.flush()
    services = written["service"] | services_of(session, written["organisation"])
    documents.refresh(session, services)
    cards.refresh(session, {SERVICE: services, LOCATION: written["location"], CONTACT: written["contact"]})


def store_imported_services(
    session: Session, service_cards: dict[uuid.UUID, dict[str, Any]], words: dict[uuid.UUID, fulltext.Document],
    new: set[uuid.UUID],
) -> None:
    """What refresh would derive for services a bulk import has just written, from the cards
    and documents it made from the rows at hand (reading every service back would cost more
    than the import); `new` are those created, which have nothing in the index yet."""
    cards.store_service_cards(session, service_cards)
    fulltext.upsert_search_documents(session, words, new=new)


def rebuild(session: Session) -> None:
    """The whole index made anew from the catalogue."""
    cards.clear(session)
    cards.render_missing(session)
    documents.refresh(session, documents.all_services(session))


def bring_up_to_date(session: Session) -> dict[str, int]:
    """Write what is missing or stale, after a migration or data that did not come through
    the save paths: the cards missing or in another layout, and the documents missing,
    without name stems or of deleted services."""
    stale = documents.stale(session)
    documents.refresh(session, stale)
    return {"cards": cards.render_missing(session), "documents": len(stale)}


def contents(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    """Everything the index holds, by table (documents without the database's own row
    numbers), to compare one state of it with another."""
    session.flush()
    dialect_name = session.get_bind().dialect.name
    service_id, stems = fulltext.search_stems(dialect_name)
    held = {"documents": {tuple(row) for row in session.execute(
        select(service_id, stems, fulltext.search_name_stems(dialect_name))
    )}}
    return held | cards.contents(session)
