"""Read replicas: which database a request reads from, and which replicas may serve it.

With `read_database_urls` set (PostgreSQL streaming standbys of the primary), a request
that only reads goes to a replica in rotation; a request that may write, every read in it
included, goes to the primary (app.db.get_session tells them apart). Without replicas
every request goes to the primary.

A monitor thread asks each database every `read_replica_check_seconds` whether it answers
and how far its WAL goes: the primary its current position, a replica the position it has
replayed. A replica is in rotation while it answers and is at most
`read_replica_max_lag_seconds` behind, measured as the age of the oldest primary position
(as sampled by the monitor) that it has not replayed. A replica that replayed everything
is 0 s behind however long the primary has been idle, and one that stops replaying falls
out of rotation once the primary has moved on for longer than the limit. While the primary
does not answer, each replica keeps the lag it last had: the API is read-only then, and
reads go on from the replicas that were in rotation. A replica found
disconnected during a request leaves rotation at once; the next check that reaches it
brings it back.

Read-your-writes: when a write request with an API key commits, the primary's WAL
position after that commit is kept for the key, in this process and in the primary's
`client_write_position` table, where every API node finds it. A read of a client that may
have written goes to a replica known to have replayed that position, else to the primary.
The position is looked up on the primary (one primary-key lookup) only for keys that may
write: anonymous reads and keys this process recalls as reading roles skip it. While the
primary does not answer, only this process's memory is consulted. A table rather than a
cookie or a time window: a client need not send a cookie back, and any window is either
too long (reads pile onto the primary) or too short (a replica lagging longer outlasts it).
"""

import hashlib
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from fastapi import Request
from sqlalchemy import BigInteger, Column, Engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, SQLModel

log = logging.getLogger("wijkkaart")


class ClientWritePosition(SQLModel, table=True):
    """The primary's WAL position after a client's last committed write (read-your-writes)."""

    __tablename__ = "client_write_position"

    # sha256 of the request's Authorization header: the key itself is never stored.
    key_digest: str = Field(primary_key=True, max_length=64)
    lsn: int = Field(sa_column=Column(BigInteger, nullable=False))


# WAL positions as numbers (bytes since the start of the WAL). On a database that is not a
# standby, the replay position is its own current one: it has everything it holds.
_PRIMARY_POSITION = text("SELECT pg_current_wal_lsn() - '0/0'")
_REPLAYED_POSITION = text("SELECT COALESCE(pg_last_wal_replay_lsn(), pg_current_wal_lsn()) - '0/0'")
_RECORD_WRITE = text(
    "INSERT INTO client_write_position (key_digest, lsn) VALUES (:key, pg_current_wal_lsn() - '0/0') "
    "ON CONFLICT (key_digest) DO UPDATE SET lsn = GREATEST(client_write_position.lsn, excluded.lsn) RETURNING lsn"
)
_LAST_WRITE = text("SELECT lsn FROM client_write_position WHERE key_digest = :key")

_KEYS_REMEMBERED = 10_000
READ_ONLY_HEADER = "X-Read-Only"


def client_key(request: Request) -> str | None:
    """Whose writes a read must see: a digest of the request's credentials (None: anonymous,
    which cannot write)."""
    authorization = request.headers.get("authorization")
    return hashlib.sha256(authorization.encode()).hexdigest() if authorization else None


@dataclass(eq=False)
class Replica:
    name: str
    engine: Engine
    answers: bool = False
    replayed: int = -1  # the WAL position it replayed at its last check (it only grows)
    behind: float = 0.0  # seconds
    detail: str = "not checked yet"


class Databases:
    """The primary and the replicas of one API process, and which of them a read goes to."""

    def __init__(
        self,
        primary: Engine,
        replicas: Sequence[Engine] = (),
        *,
        max_lag: float = 10.0,
        check_seconds: float = 1.0,
        cannot_have_written: Callable[[Request], bool] = lambda request: False,
    ) -> None:
        self.primary = primary
        self.replicas = [Replica(f"replica-{number}", engine) for number, engine in enumerate(replicas, 1)]
        self.max_lag = max_lag
        self.check_seconds = check_seconds
        self.primary_answers = True
        self._cannot_have_written = cannot_have_written
        self._samples: deque[tuple[float, int]] = deque()  # (monotonic time, the primary's position)
        self._written: LRUCache[str, int] = LRUCache(_KEYS_REMEMBERED)
        self._lock = threading.Lock()  # cachetools caches are not thread-safe
        self._turn = itertools.count()
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        for replica in self.replicas:
            event.listen(replica.engine, "handle_error", self._leave_rotation_on_disconnect(replica))

    # --- Rotation

    def start(self) -> None:
        """Check every database once (so rotation is known before the first request), then
        keep checking on a thread of its own."""
        if not self.replicas:
            return
        self.check()
        self._monitor = threading.Thread(target=self._watch, name="replica-monitor", daemon=True)
        self._monitor.start()

    def close(self) -> None:
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.wait(self.check_seconds):
            self.check()

    def check(self) -> None:
        now = time.monotonic()
        try:
            current = _position(self.primary, _PRIMARY_POSITION)
        except SQLAlchemyError as exc:
            self.primary_checked(False, exc.__class__.__name__)
        else:
            self.primary_checked(True)
            self._samples.append((now, current))
        # Keep the samples of the last max_lag seconds, and the one before them.
        while len(self._samples) > 1 and self._samples[1][0] <= now - self.max_lag - self.check_seconds:
            self._samples.popleft()
        for replica in self.replicas:
            self._check_replica(replica, now)

    def primary_checked(self, answers: bool, why: str = "") -> None:
        """What a check of the primary found, by the monitor or by /health/ready: a node whose
        readiness says read-only also routes and answers as read-only, from that moment on."""
        if not self.replicas or answers == self.primary_answers:
            return
        if answers:
            log.warning("primary database answers again")
        else:
            log.warning("primary database unreachable (%s): read-only", why or "readiness probe")
        self.primary_answers = answers

    def _check_replica(self, replica: Replica, now: float) -> None:
        try:
            replayed = _position(replica.engine, _REPLAYED_POSITION)
        except SQLAlchemyError as exc:
            replica.answers, replica.detail = False, f"unreachable ({exc.__class__.__name__})"
            return
        replica.replayed = max(replica.replayed, replayed)
        if self.primary_answers:
            missing_since = next((at for at, position in self._samples if position > replica.replayed), None)
            replica.behind = 0.0 if missing_since is None else now - missing_since
        # else the lag stays as last measured: the primary's last position may never have
        # been sent, so a replica that kept up would seem to fall further behind for good.
        replica.answers = True
        replica.detail = (
            f"in rotation, {replica.behind:.1f} s behind" if self._serves(replica)
            else f"out of rotation: {replica.behind:.1f} s behind, more than {self.max_lag:g} s"
        )

    def _serves(self, replica: Replica) -> bool:
        return replica.answers and replica.behind <= self.max_lag

    def _leave_rotation_on_disconnect(self, replica: Replica) -> Callable[[ExceptionContext], None]:
        def lost(context: ExceptionContext) -> None:
            if context.is_disconnect:
                replica.answers, replica.detail = False, "out of rotation: connection lost"

        return lost

    def rotation(self) -> dict[str, tuple[bool, str]]:
        """Each replica: whether it serves reads, and why (for /health/ready)."""
        return {replica.name: (self._serves(replica), replica.detail) for replica in self.replicas}

    def reading(self, needed: int = 0) -> Engine:
        """A replica in rotation that replayed at least WAL position `needed`, in turn; else the primary."""
        ready = [replica for replica in self.replicas if self._serves(replica) and replica.replayed >= needed]
        if not ready:
            return self.primary
        return ready[next(self._turn) % len(ready)].engine

    # --- Read-your-writes

    def looks_up_last_write(self, request: Request) -> bool:
        """Whether a read of this request's client looks up its last write on the primary."""
        return (
            bool(self.replicas) and self.primary_answers and client_key(request) is not None
            and not self._cannot_have_written(request)
        )

    def known_reading(self, request: Request) -> Engine | None:
        """The database a read goes to when that needs no lookup, else None (see for_read)."""
        if not self.replicas:
            return self.primary
        if self.looks_up_last_write(request):
            return None
        key = client_key(request)
        return self.reading(0 if key is None or self._cannot_have_written(request) else self._remembered(key))

    def for_read(self, request: Request) -> Engine:
        """The database a read request goes to: one that holds its client's last write. It
        may look that up on the primary: off the event loop, unless known_reading answered."""
        if (engine := self.known_reading(request)) is not None:
            return engine
        return self.reading(self._last_write(client_key(request)))  # type: ignore[arg-type]

    def _remembered(self, key: str) -> int:
        with self._lock:
            return self._written.get(key, 0)

    def _last_write(self, key: str) -> int:
        remembered = self._remembered(key)
        try:
            with self.primary.begin() as connection:
                stored = connection.execute(_LAST_WRITE, {"key": key}).scalar()
        except SQLAlchemyError:
            return remembered  # the primary is away: what this process saw is all there is
        return max(remembered, stored or 0)

    def committed_write(self, request: Request) -> None:
        """After a write request committed: keep the primary's position for its client."""
        if not self.replicas or (key := client_key(request)) is None:
            return
        try:
            with self.primary.begin() as connection:
                position = int(connection.execute(_RECORD_WRITE, {"key": key}).scalar_one())
        except SQLAlchemyError as exc:
            log.warning("write position not recorded (%s)", exc.__class__.__name__)
            return
        with self._lock:
            self._written[key] = max(position, self._written.get(key, 0))


def _position(engine: Engine, query: Any) -> int:
    # begin(): ends with COMMIT, which keeps psycopg's prepared statements (app.db.get_session).
    with engine.begin() as connection:
        return int(connection.execute(query).scalar_one())
