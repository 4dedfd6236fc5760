"""What a GET search publishes for counting: the criteria's gemeente, need domains and word
stems, and whether it found nothing near, never who asked or from where.

Features above search (app/monitoring) register an observer at start-up (app/main.py); the
search calls them after the response is sent, so counting costs the searcher nothing. A
POST search, which carries a patient's attributes, publishes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from app.search.schemas import SearchCriteria
from app.search.text import stem_words

NEAR_KM = 5.0


@dataclass(frozen=True)
class SearchSeen:
    gemeente: str | None
    domains: tuple[str, ...]
    stems: tuple[str, ...]
    found_nothing: bool  # no result whose areas cover the place or whose location lies within NEAR_KM


Observer = Callable[[Engine, SearchSeen], None]
_observers: list[Observer] = []


def observe_searches(observer: Observer) -> None:
    if observer not in _observers:
        _observers.append(observer)


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
        stems=tuple(sorted(set(stem_words(criteria.q)))) if criteria.q else (), found_nothing=not near,
    )


def publish(engine: Engine, what: SearchSeen | None) -> None:
    if what is not None:
        for observer in _observers:
            observer(engine, what)
