"""The search index: everything the search derives from the catalogue, and its one writer.

It holds the search cards (search_card) and each service's stems (the free-text
documents, app/dialect/fulltext.py). Nothing else writes them: writer.py refreshes what a
write touched (the change log's hook), stores what a bulk import made, and rebuilds or
brings up to date the whole (`wijkkaart db upgrade`). The ranking reads the catalogue and
the stems into each worker's read model (app/search/memory.py). See
docs/architecture.md, "The search index".
"""

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def chunks(ids: list[T], size: int) -> Iterable[list[T]]:
    """The ids in slices of `size`: a statement binds a bounded list (PostgreSQL takes at most
    65,535 parameters), and each slice's rows stay few in memory."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
