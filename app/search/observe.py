"""What a GET search publishes for counting: the criteria's gemeente, need domains and word
stems, and whether it found nothing near, never who asked or from where.

Features above search (app/monitoring) add an observer to `app.state.search_observers` at
start-up (app/main.py). The search calls them on the event loop for every GET it answers,
from the response cache too, so an observer must be cheap and do no I/O (it tallies in
memory). A POST search, which carries a patient's attributes, publishes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from app.search.schemas import SearchCriteria
from app.search.text import stem_words

NEAR_KM = 5.0


@dataclass(frozen=True)
class SearchSeen:
    gemeente: str | None
    domains: tuple[str, ...]
    stems: tuple[str, ...]
    # No result whose areas cover the place or whose location lies within NEAR_KM; never for a
    # search for what is open (open_only): nothing open at night is no missing help.
    found_nothing: bool


Observer = Callable[[SearchSeen], None]


def seen(criteria: SearchCriteria, page: dict[str, Any]) -> SearchSeen | None:
    """What a first page tells (None for a later page: the search was counted once already)."""
    if criteria.cursor is not None:
        return None
    near = any(
        item["match"] in ("buurt", "wijk", "gemeente")
        or (item["distance_km"] is not None and item["distance_km"] <= NEAR_KM)
        for item in page["items"]
    )
    return SearchSeen(
        gemeente=page["place"]["gemeente"], domains=tuple(sorted(set(criteria.domain))),
        stems=tuple(sorted(set(stem_words(criteria.q)))) if criteria.q else (), found_nothing=not near and not criteria.open_only,
    )


def publish(request: Request, what: SearchSeen | None) -> None:
    if what is not None:
        for observer in getattr(request.app.state, "search_observers", ()):
            observer(what)
