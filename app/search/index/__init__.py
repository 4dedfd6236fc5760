"""The search index: everything the search derives from the catalogue, and its one writer.

It holds the search cards (search_card) and each service's stems (the free-text
documents, app/dialect/fulltext.py). Nothing else writes them: writer.py refreshes what a
write touched (the change log's hook), stores what a bulk import made, and rebuilds or
brings up to date the whole (`wijkkaart db upgrade`). The ranking reads the catalogue and
the stems into each worker's read model (app/search/memory.py). See
docs/architecture.md, "The search index".
"""

import uuid
from collections.abc import Iterable
from typing import TypeVar

from sqlmodel import Session, col, select

from app.services.models import Service

T = TypeVar("T")


def chunks(ids: list[T], size: int) -> Iterable[list[T]]:
    """The ids in slices of `size`: a statement binds a bounded list (PostgreSQL takes at most
    65,535 parameters), and each slice's rows stay few in memory."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def entries_written(changed: Iterable[tuple[str, object]], kinds: Iterable[str]) -> dict[str, set[uuid.UUID]]:
    """The ids of the entries of these kinds among (entity type, id) pairs, as the change log
    records them."""
    found: dict[str, set[uuid.UUID]] = {kind: set() for kind in kinds}
    for entity_type, entity_id in changed:
        if entity_type in found:
            found[entity_type].add(entity_id if isinstance(entity_id, uuid.UUID) else uuid.UUID(str(entity_id)))
    return found


def services_of(session: Session, organisation_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The services of these organisations, deleted or not: an organisation's name is in each
    one's card and stems."""
    found: set[uuid.UUID] = set()
    for chunk in chunks(sorted(organisation_ids), 1000):
        found.update(session.exec(select(Service.id).where(col(Service.organisation_id).in_(chunk))))
    return found
