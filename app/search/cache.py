"""A short-lived, shared cache of search responses that carry no patient attributes.

A search answer depends on the criteria, on what the caller may see (anonymous callers
get direct lines redacted), on the catalogue, and on the clock: contact validity on the
local date; the opening state asked with open_now, and which services open_only keeps, on
the minute. The key holds all of these; the catalogue as its data version, the newest
change-log position, which every write path appends to. Entries live LIST_SECONDS at most, as long as the API lets any
HTTP cache keep the answer.

The data version is read from the database at most once every DATA_VERSION_SECONDS, and
at once after a write committed in this process: a hit then costs no database round trip
(which would be most of its cost), a write made here misses the cache at once, and one made
through another worker or machine within DATA_VERSION_SECONDS.

The cache holds finished response bodies, so a hit skips the search, building the page and
serialising it. It lives in the worker process (one per app), as an LRU bounded in bytes.

A request is also remembered as sent: its query string, representation and viewer with
the same data version and clock, mapped to the key its criteria were read into. When the
same request comes again, the router answers it before FastAPI reads the criteria and
solves the route's dependencies, two thirds of a hit's cost otherwise (bench/cache_hit.py:
114 against 348 µs). A request sent another way (other spelling, other order) is read and
finds its entry by key as before.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from fastapi import Request
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from app.changelog.models import ChangeLogEntry
from app.changelog.service import APPENDED
from app.clock import local_today
from app.db import utcnow
from app.http_cache import LIST_SECONDS
from app.search.observe import SearchSeen
from app.search.schemas import SearchCriteria
from app.visibility import Viewer

_DATA_VERSION = select(func.max(ChangeLogEntry.position))
DATA_VERSION_SECONDS = 1.0
_clock = time.monotonic
_REQUESTS_REMEMBERED = 4096
_LONGEST_REMEMBERED_QUERY = 1024  # bytes: a longer query string is read every time

UNKNOWN = object()  # DataVersion.known(): the version must be read anew


class DataVersion:
    """The newest change-log position of each database a search reads (the primary, each
    replica: one may lag the other), re-read when DATA_VERSION_SECONDS have passed or this
    process committed a write since."""

    def __init__(self) -> None:
        # engine -> (position, when read, APPENDED.count when read)
        self._seen: dict[Engine, tuple[Any, float, int]] = {}

    def known(self, engine: Engine) -> Any:
        """The version without a database read, or UNKNOWN when it must be read."""
        seen = self._seen.get(engine)
        if seen is None or _clock() - seen[1] >= DATA_VERSION_SECONDS or seen[2] != APPENDED.count:
            return UNKNOWN
        return seen[0]

    def read(self, session: Session, fresh: bool = False) -> Any:
        """The version of the session's database; `fresh`: read from it whatever is known."""
        engine = session.get_bind()
        if not fresh and (value := self.known(engine)) is not UNKNOWN:  # type: ignore[arg-type]
            return value
        writes_seen = APPENDED.count
        value = session.execute(_DATA_VERSION).scalar()
        self._seen[engine] = (value, _clock(), writes_seen)  # type: ignore[index]
        return value


@dataclass(frozen=True)
class CachedResponse:
    media_type: str
    body: bytes
    seen: SearchSeen | None = None  # what a GET search publishes each time it is answered (app/search/observe.py)


class ResponseCache:
    def __init__(self, max_bytes: int, seconds: float) -> None:
        self._entries: TTLCache[str, CachedResponse] = TTLCache(
            maxsize=max_bytes, ttl=seconds, getsizeof=lambda entry: len(entry.body) + 200
        )
        self._keys_of_requests: TTLCache[str, str] = TTLCache(maxsize=_REQUESTS_REMEMBERED, ttl=seconds)
        self._lock = threading.Lock()  # cachetools caches are not thread-safe
        self.enabled = max_bytes > 0
        self.data_version = DataVersion()

    def get(self, key: str) -> CachedResponse | None:
        with self._lock:
            return self._entries.get(key)

    def replay(self, sent: str) -> CachedResponse | None:
        """The entry of a request seen before (request_key), if it is still held."""
        with self._lock:
            key = self._keys_of_requests.get(sent)
            return None if key is None else self._entries.get(key)

    def remember_request(self, sent: str | None, key: str) -> None:
        if self.enabled and sent is not None:
            with self._lock:
                self._keys_of_requests[sent] = key

    def put(self, key: str, entry: CachedResponse) -> None:
        if self.enabled and len(entry.body) < self._entries.maxsize:
            with self._lock:
                self._entries[key] = entry


def for_app(request: Request) -> ResponseCache:
    """The app's cache, made by create_app (new_cache)."""
    return request.app.state.search_cache


def new_cache(megabytes: int) -> ResponseCache:
    """A worker's cache of this size (0: off); entries live as long as a list may be cached."""
    return ResponseCache(megabytes * 2**20, LIST_SECONDS)


def key(criteria: SearchCriteria, viewer: Viewer, representation: str, data_version: Any) -> str:
    """Everything the answer to a search without patient attributes depends on."""
    normal = criteria.model_copy(update={"domain": sorted(set(criteria.domain))})
    return f"{normal.model_dump_json()}|{_context(viewer, representation, data_version, criteria.open_now)}"


def request_key(request: Request, viewer: Viewer, representation: str, data_version: Any) -> str | None:
    """The request as sent, with what else its answer depends on (None: not remembered).
    Whether it asks open_now (open_only implies it without open_at) is read from its
    parameters, spelt however they were sent."""
    sent = request.scope["query_string"]
    if len(sent) > _LONGEST_REMEMBERED_QUERY:
        return None
    open_now = any(name in request.query_params for name in ("open_now", "open_only"))
    return f"{sent.decode('latin-1')}|{_context(viewer, representation, data_version, open_now)}"


def _context(viewer: Viewer, representation: str, data_version: Any, open_now: bool) -> str:
    clock = utcnow().strftime("%Y-%m-%dT%H:%M") if open_now else ""
    return f"{viewer.authenticated}|{representation}|{data_version}|{local_today()}|{clock}"
