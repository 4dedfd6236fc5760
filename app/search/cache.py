"""A short-lived, shared cache of search responses that carry no patient attributes.

A search answer depends on the criteria, on what the caller may see (anonymous callers
get direct lines redacted), on the catalogue, and on the clock: contact validity on the
local date, the opening state asked with open_now on the minute. The key holds all of
these; the catalogue as its data version, the newest change-log position, which every
write path appends to, so a committed write misses the cache at once. Entries live
LIST_SECONDS at most, as long as the API lets any HTTP cache keep the answer.

The cache holds finished response bodies, so a hit skips the search, building the page and
serialising it. It lives in the worker process (one per app), as an LRU bounded in bytes.
"""

import threading
from dataclasses import dataclass

from cachetools import TTLCache
from fastapi import Request
from sqlalchemy import func, select
from sqlmodel import Session

from app.changelog.models import ChangeLogEntry
from app.clock import local_today
from app.db import utcnow
from app.http_cache import LIST_SECONDS
from app.search.schemas import SearchCriteria
from app.settings import get_settings
from app.visibility import Viewer

_DATA_VERSION = select(func.max(ChangeLogEntry.position))  # type: ignore[arg-type]
_create = threading.Lock()


@dataclass(frozen=True)
class CachedResponse:
    media_type: str
    body: bytes


class ResponseCache:
    def __init__(self, max_bytes: int, seconds: float) -> None:
        self._entries: TTLCache[str, CachedResponse] = TTLCache(
            maxsize=max_bytes, ttl=seconds, getsizeof=lambda entry: len(entry.body) + 200
        )
        self._lock = threading.Lock()  # cachetools caches are not thread-safe
        self.enabled = max_bytes > 0

    def get(self, key: str) -> CachedResponse | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, entry: CachedResponse) -> None:
        if self.enabled and len(entry.body) < self._entries.maxsize:
            with self._lock:
                self._entries[key] = entry


def for_app(request: Request) -> ResponseCache:
    """The app's cache (app.state.search_cache), made on first use."""
    state = request.app.state
    if (cache := getattr(state, "search_cache", None)) is None:
        with _create:
            if (cache := getattr(state, "search_cache", None)) is None:
                cache = state.search_cache = ResponseCache(get_settings().search_cache_mb * 2**20, LIST_SECONDS)
    return cache  # type: ignore[no-any-return]


def key(session: Session, criteria: SearchCriteria, viewer: Viewer, representation: str) -> str:
    """Everything the answer to a search without patient attributes depends on."""
    normal = criteria.model_copy(update={"domain": sorted(set(criteria.domain))})
    clock = utcnow().strftime("%Y-%m-%dT%H:%M") if criteria.open_now else ""
    version = session.execute(_DATA_VERSION).scalar()
    return f"{normal.model_dump_json()}|{viewer.authenticated}|{representation}|{version}|{local_today()}|{clock}"
