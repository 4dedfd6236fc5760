"""The search index: everything the search derives from the catalogue, and its one writer.

It holds the search cards (search_card), each service's stems (the free-text documents,
app/dialect/fulltext.py) and five tables that hand the ranking its candidates by key:
service_open_location, service_anywhere, service_area_domain, service_area_document and
service_point (app/search/models.py). Nothing else writes them: writer.py refreshes what a
write touched (the change log's hook), stores what a bulk import made, and rebuilds or
brings up to date the whole (`wijkkaart db upgrade`). See docs/architecture.md, "The
search index".
"""

import uuid
from collections.abc import Iterable


def chunks(ids: list[uuid.UUID], size: int) -> Iterable[list[uuid.UUID]]:
    """The ids in slices of `size`: a statement binds a bounded list (PostgreSQL takes at most
    65,535 parameters), and each slice's rows stay few in memory."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
