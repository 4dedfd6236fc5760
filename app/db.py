"""Engine, the per-request session (one transaction per request) and the schema check."""

import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, DateTime, Engine, Table, TypeDecorator, create_engine, event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel

from app import dialect
from app.errors import Overloaded
from app.replicas import Databases
from app.settings import Settings, get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# The chain of migrations the baseline (migrations/versions/0018_baseline.py) replaced: it
# takes a database made before the baseline to its head, which is the baseline's revision.
LEGACY_VERSIONS = MIGRATIONS_DIR / "legacy" / "versions"
LEGACY_HEAD = "0018"
T = TypeVar("T")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite keeps no zone, PostgreSQL does: normalising here gives both one behaviour.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        # What a keyset cursor decodes a stored value to (app/pagination.py).
        return datetime

    def process_bind_param(self, value: datetime | None, dialect_: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect_: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for statements that skip the ORM."""
    # SQLAlchemy's declarative mapping sets __table__ when the class is made; SQLModel does not declare it.
    return model.__table__  # type: ignore[attr-defined]


def utcnow() -> datetime:
    return datetime.now(UTC)


def space_joined(value: Any, *where: Any) -> Any:
    """`value` of the rows `where` selects, space-separated, or null without any: a correlated
    scalar subquery, so that one row brings a short list along (values must hold no spaces)."""
    return select(func.aggregate_strings(value, " ")).where(*where).scalar_subquery()


class CommittedWrites:
    """How many transactions this process committed after `mark`ing them as writes of one kind.

    A per-process cache compares the count with the one it saw last: a write committed
    here reaches it at once, one committed by another worker only when it next reads the
    database. A rolled-back transaction counts for nothing.
    """

    def __init__(self, kind: str) -> None:
        self._flag = f"committed_writes:{kind}"
        self.count = 0
        event.listen(Session, "after_commit", self._committed)
        event.listen(Session, "after_rollback", self._rolled_back)

    def mark(self, session: Session) -> None:
        session.info[self._flag] = True

    def pending(self, session: Session) -> bool:
        """Whether this session's transaction holds such writes, not yet committed."""
        return bool(session.info.get(self._flag))

    def _committed(self, session: Session) -> None:
        if session.info.pop(self._flag, False):
            self.count += 1

    def _rolled_back(self, session: Session) -> None:
        session.info.pop(self._flag, None)


def make_engine(url: str, settings: Settings | None = None, *, read_only: bool = False) -> Engine:
    """The engine, with the pool size and timeouts of `settings` (default: the environment's);
    `read_only`: every transaction reads only (a replica's, PostgreSQL).

    pool_pre_ping tests a pooled connection before each use, so one left dead by a database
    restart is replaced instead of failing a request: recovery needs no restart of ours.
    """
    settings = settings or get_settings()
    # hide_parameters: bound values (a patient's postcode, say) never reach a log or an error text.
    options = dialect.engine_options(url, settings, read_only=read_only)
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", dialect.configure_sqlite_connection)
        event.listen(engine, "begin", dialect.begin_sqlite_transaction)
    elif engine.dialect.name == "postgresql":
        dialect.bound_postgres_answers(engine, settings.db_statement_timeout)
        dialect.discard_failed_pings(engine)
    return engine


def alembic_config(url: str, *, legacy: bool = False) -> Config:
    """Alembic's configuration for the database at `url`: the migrations from the baseline on,
    or (`legacy`) the chain the baseline replaced, run by the same migrations/env.py."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if legacy:
        config.set_main_option("version_locations", str(LEGACY_VERSIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class SchemaBehind(RuntimeError):
    """The database is not at the migration head this code expects."""


def migration_heads(engine: Engine) -> set[str]:
    """The revisions this code expects the database at."""
    return set(ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def assert_schema_current(engine: Engine) -> None:
    heads = migration_heads(engine)
    with engine.connect() as connection:
        current = current_revisions(connection)
    if current != heads:
        raise SchemaBehind(
            f"The database is at migration {sorted(current) or 'none'} but this code needs "
            f"{sorted(heads)}. Run `wijkkaart db upgrade` to bring it up to date."
        )


def _revisions_of(config: Config) -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def legacy_only_revisions() -> set[str]:
    """The legacy chain's revisions older than the baseline (0001-0017)."""
    return _revisions_of(alembic_config("", legacy=True)) - _revisions_of(alembic_config(""))


def _revisions_at(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return current_revisions(connection)
    finally:
        engine.dispose()


def upgrade_schema(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision`. A database at a revision older than the
    baseline is first taken to the legacy chain's head (the baseline's revision), from where the
    migrations after the baseline go on; a legacy `revision` is reached by the legacy chain alone."""
    legacy_only = legacy_only_revisions()
    if revision in legacy_only:
        command.upgrade(alembic_config(url, legacy=True), revision)
        return
    if _revisions_at(url) & legacy_only:
        command.upgrade(alembic_config(url, legacy=True), LEGACY_HEAD)
    command.upgrade(alembic_config(url), revision)


def downgrade_schema(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision`. The baseline's downgrade drops the whole
    schema; a revision older than it is reached by the legacy chain's downgrades, step by step,
    and so is a relative target (`-1`) from a database at one."""
    legacy_only = legacy_only_revisions()
    current = _revisions_at(url)
    if revision in legacy_only:
        if not current <= legacy_only | {LEGACY_HEAD}:
            command.downgrade(alembic_config(url), LEGACY_HEAD)
        command.downgrade(alembic_config(url, legacy=True), revision)
    elif current & legacy_only:
        command.downgrade(alembic_config(url, legacy=True), revision)
    else:
        command.downgrade(alembic_config(url), revision)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def reads_only_when(reads_only: Callable[[Request], bool], *, on_replica: bool = True) -> Callable[[T], T]:
    """Mark a POST endpoint that only reads for the requests `reads_only` says (a search with
    the patient's attributes in its body, an import's dry run): such a request starts no
    write transaction, which on SQLite would hold the database's one write lock while it
    runs, queueing every writer and every other such request behind it. `on_replica=False`:
    it still writes what it rolls back (a dry run), which a read-only standby refuses."""

    def mark(endpoint: T) -> T:
        # Marks the endpoint function itself; may_write and reads_on_replica read it back.
        endpoint.reads_only = reads_only  # type: ignore[attr-defined]  # an attribute of the function object
        endpoint.reads_on_replica = on_replica  # type: ignore[attr-defined]  # as above
        return endpoint

    return mark


reads_only = reads_only_when(lambda _request: True)  # every request of the endpoint only reads


def _endpoint(request: Request) -> Any:
    """The function of the route the request matched (it carries the marks of reads_only_when)."""
    return getattr(request.scope.get("route"), "endpoint", None)


def may_write(request: Request) -> bool:
    """Whether the request may write: all but GET, HEAD, OPTIONS and what `reads_only_when` marks."""
    if request.method in SAFE_METHODS:
        return False
    only_reads = getattr(_endpoint(request), "reads_only", None)
    return only_reads is None or not only_reads(request)


def reads_on_replica(request: Request) -> bool:
    """Whether a request that does not write may read from a replica (app.replicas)."""
    return getattr(_endpoint(request), "reads_on_replica", True)


@contextmanager
def scratch_session(session: Session) -> Iterator[Session]:
    """A session for writes that are rolled back in the end (an import's dry run), blocking no
    other writer while they run.

    SQLite has one write lock per database, held by a writing transaction to its end: the
    writes go to a private copy of the database, taken from one read snapshot (which blocks
    no writer in WAL mode) and deleted afterwards. PostgreSQL locks rows, not the database:
    the writes go through `session` itself, without the change-log lock that orders committed
    appends (app.dialect.lock_change_log); only the rows the work changes stay locked until
    it ends.
    """
    bind = session.get_bind()
    url = bind.engine.url  # the session's bind, whether an engine or a connection of one
    if bind.dialect.name != "sqlite" or not url.database or url.database == ":memory:":
        session.info[dialect.DISCARDED] = True
        try:
            yield session
        finally:
            session.info.pop(dialect.DISCARDED, None)
        return
    with tempfile.TemporaryDirectory(prefix="wijkkaart-scratch-") as directory:
        copy = Path(directory) / "copy.db"
        dialect.copy_sqlite_database(url.database, copy)
        engine = make_engine(f"sqlite:///{copy}")
        try:
            with Session(engine, expire_on_commit=False) as scratch:  # closing rolls back
                yield scratch
        finally:
            engine.dispose()


class Admission:
    """Requests' turns at the database: at most `concurrent` at once (the pool's steady size), the
    next `queued` waiting on the event loop, and any further one refused at once (503).

    A request waits here holding nothing. Once in, its session keeps a pooled connection
    across thread hops (authentication, a write's BEGIN, the endpoint); were there more
    sessions than connections, threads could sit waiting for connections held by requests
    waiting for threads, until the pool's timeout answered 503 with the database idle. With
    no more sessions than connections, no thread waits for a connection; the pool's overflow
    is left for what runs outside a request's session (a streamed export, the readiness probe).
    """

    def __init__(self, concurrent: int, queued: int, retry_after_seconds: int) -> None:
        self.limiter = anyio.CapacityLimiter(concurrent)
        self.queued = queued
        self.retry_after = str(retry_after_seconds)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self.limiter.available_tokens < 1 and self.limiter.statistics().tasks_waiting >= self.queued:
            raise Overloaded(
                "This server has more requests waiting than it queues; retry shortly.",
                headers={"Retry-After": self.retry_after},
            )
        borrower = object()  # released by whichever task ends the request
        await self.limiter.acquire_on_behalf_of(borrower)
        try:
            yield
        finally:
            self.limiter.release_on_behalf_of(borrower)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session and one transaction per request, in the request's turn at the database
    (Admission): commit on success, roll back a write on error.

    A request that may write uses the primary; one that only reads, a replica that holds its
    client's last write, or the primary (app.replicas: with no replicas, always the primary).


    The session connects on its first statement, in the thread pool where the endpoints
    that use it run; only a transaction that began is ended there (a read's on SQLite on
    the event loop: dialect.ends_reads_on_event_loop). So a request that never reaches the
    database (a search answered from the response cache) pays no thread-pool round trip
    for its session. Requests that may write start a write transaction at once (see
    dialect.begin_write).

    A read ends with COMMIT, also when it answers a client's mistake (an unknown postcode,
    say): psycopg forgets every statement it prepared on a ROLLBACK, and on PostgreSQL a
    search whose statements are prepared skips the planner (bench/prepared_statements.py:
    5.4 ms, and 9.1 ms when one request in twenty was refused and rolled back).
    """
    databases: Databases = request.app.state.databases
    async with request.app.state.admission.turn():
        writes = may_write(request)
        engine = databases.primary if writes or not reads_on_replica(request) else (
            databases.known_reading(request) or await run_in_threadpool(databases.for_read, request)
        )
        session = Session(engine, expire_on_commit=False)
        try:
            if writes:
                await run_in_threadpool(dialect.begin_write, session)
            yield session
            if session.in_transaction():
                await _commit(session, writes)
                if writes and databases.replicas:
                    await run_in_threadpool(databases.committed_write, request)
        except Exception as error:
            if not writes and session.in_transaction() and not isinstance(error, SQLAlchemyError):
                with suppress(SQLAlchemyError):  # the request's own error is the answer
                    await _commit(session, writes)
            raise
        finally:
            # close() rolls back what an error left open; without a transaction the session
            # holds no connection, and closing it waits on nothing.
            if session.in_transaction():
                await run_in_threadpool(session.close)
            else:
                session.close()


async def _commit(session: Session, writes: bool) -> None:
    if not writes and dialect.ends_reads_on_event_loop(session.get_bind().dialect.name):
        session.commit()
    else:
        await run_in_threadpool(session.commit)


# scope="function": the transaction ends before the response is sent, so a failing
# commit becomes an error response instead of a silent loss after a 200.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
