"""The few places where SQLite and PostgreSQL really differ: connections, transactions,
bulk writes and locking here; the free-text index in app/dialect/fulltext.py."""

import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Dialect,
    Engine,
    Integer,
    String,
    Table,
    any_,
    bindparam,
    event,
    false,
    func,
    insert,
    select,
    text,
)
from sqlalchemy import column as column_of
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from app.folding import fold, fold_table
from app.settings import Settings

# Any constant: the key of the PostgreSQL advisory lock that orders change-log appends.
CHANGE_LOG_LOCK_KEY = 7_351_002


# How much longer than the server's statement_timeout the client waits for an answer
# before it gives the connection up (the server's own cancellation should come first).
ANSWER_GRACE_SECONDS = 2.0


def engine_options(url: str, limits: Settings, *, read_only: bool = False) -> dict[str, Any]:
    pool = {"pool_size": limits.db_pool_size, "max_overflow": limits.db_max_overflow, "pool_timeout": limits.db_pool_timeout}
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # One file shared across the worker threads of the API; a writer waits up to 30 s for the lock.
        # (An in-memory database has one connection per thread, not a queue pool.)
        in_memory = parsed.database in (None, "", ":memory:")
        return {"connect_args": {"check_same_thread": False, "timeout": 30}, **({} if in_memory else pool)}
    # No parallel workers: the API runs many small statements side by side, and starting
    # workers (a few ms each) costs more than they save; the planner also chooses them on
    # misestimates (a parallel scan of every service area for one gemeente's 1,300).
    # A random page read priced as on SSD or in memory, where the catalogue lives, not as on
    # a spinning disk (the default, 4): at 4 the planner hash-joins a scan of all 200,000
    # services for a gemeente's 413 text matches rather than look each up (86 ms against 10;
    # docs/adr/0007-postgresql-session-settings.md).
    options = ["-c max_parallel_workers_per_gather=0", "-c random_page_cost=1.1"]
    if read_only:
        # A replica's connections: a standby refuses writes anyway; saying so here makes a
        # write on a read path fail alike on a replica and on a database that is none.
        options.append("-c default_transaction_read_only=on")
    if limits.db_statement_timeout:
        options.append(f"-c statement_timeout={round(limits.db_statement_timeout * 1000)}")
    if limits.db_idle_in_transaction_timeout:
        options.append(f"-c idle_in_transaction_session_timeout={round(limits.db_idle_in_transaction_timeout * 1000)}")
    connect: dict[str, Any] = {"connect_timeout": limits.db_connect_timeout, "options": " ".join(options)}
    if not limits.db_prepared_statements:
        connect["prepare_threshold"] = None  # psycopg: never prepare (app.db.get_session says why it matters)
    return {"connect_args": connect, **pool}


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that waits at most `answer_timeout` seconds for any answer.

    statement_timeout bounds a slow query, but not a network that silently stops carrying
    packets: libpq would wait for the reply forever. psycopg runs every exchange (execute,
    fetch, commit, rollback, COPY) through `wait`; bounding it there covers them all. A
    connection that timed out is closed, so SQLAlchemy sees a disconnect and discards it
    (and the pool's other connections, which pre-ping then replaces).
    """

    answer_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        bound = timeout if timeout is not None else self.answer_timeout
        try:
            return super().wait(gen, interval, bound)
        except psycopg.errors._WaitTimeout:  # what `wait` documents it raises on its timeout
            if timeout is not None:
                raise  # the caller's own timeout
            self.pgconn.finish()
            raise psycopg.OperationalError(f"no answer from the database within {bound:g} s") from None


def bound_postgres_answers(engine: Engine, statement_timeout: float) -> None:
    """Open the engine's PostgreSQL connections as BoundedConnection (see there)."""
    answer_timeout = statement_timeout + ANSWER_GRACE_SECONDS if statement_timeout else None

    @event.listens_for(engine, "do_connect")
    def connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> BoundedConnection:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_timeout = answer_timeout
        return connection


def discard_failed_pings(engine: Engine) -> None:
    """A pooled connection whose pre-ping fails in any way is replaced, never used.

    When a reset socket interrupts the ping, psycopg may still count the ping's statement
    as running, and the dialect's do_ping then fails restoring autocommit: a
    ProgrammingError, which SQLAlchemy does not read as a disconnect, so the request got a
    500 instead of a fresh connection (or a 503 while the database is away).
    """

    @event.listens_for(engine, "handle_error")
    def replace_connection(context: ExceptionContext) -> None:
        if context.is_pre_ping:
            context.is_disconnect = True


class folded(FunctionElement[str]):
    """app.folding.fold of a text, in SQL, for matching without case or accents. A text in
    ASCII folds to its lower case, as `fold` does; any other, SQLite calls `fold` itself
    (registered on every connection: configure_sqlite_connection) and PostgreSQL applies
    fold's table with translate(), then lower(). translate() of some 700 letters takes
    0.2-0.3 ms a text: 6-8 s for a name search over 25,000 names were it used on every one
    (bench/one_matcher.py)."""

    type = String()
    name = "wk_fold"
    inherit_cache = True


def _fold_or_none(text: str | None) -> str | None:
    return None if text is None else fold(text)


@compiles(folded, "sqlite")
def _folded_on_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    text_sql = compiler.process(element.clauses, **kw)
    return f"CASE WHEN length({text_sql}) = length(CAST({text_sql} AS BLOB)) THEN lower({text_sql}) ELSE wk_fold({text_sql}) END"


_LETTERS, _FOLDED_LETTERS, _DELETED = fold_table()  # no quote or % among them: safe as literals


@compiles(folded, "postgresql")
def _folded_on_postgresql(element: folded, compiler: Any, **kw: Any) -> str:
    text_sql = compiler.process(element.clauses, **kw)
    return (f"CASE WHEN length({text_sql}) = octet_length({text_sql}) THEN lower({text_sql}) "
            f"ELSE lower(translate({text_sql}, '{_LETTERS}{_DELETED}', '{_FOLDED_LETTERS}')) END")


class octets(FunctionElement[int]):
    """The length of a text in UTF-8 bytes: above its length in characters when it holds any
    character outside ASCII."""

    type = Integer()
    name = "wk_octets"
    inherit_cache = True


@compiles(octets, "sqlite")
def _octets_on_sqlite(element: octets, compiler: Any, **kw: Any) -> str:
    return f"length(CAST({compiler.process(element.clauses, **kw)} AS BLOB))"


@compiles(octets, "postgresql")
def _octets_on_postgresql(element: octets, compiler: Any, **kw: Any) -> str:
    return f"octet_length({compiler.process(element.clauses, **kw)})"


def one_of(dialect: Dialect, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """SQL: the column holds one of the values, however many: one parameter (an array on
    PostgreSQL, a JSON list on SQLite), where an IN list would bind one per value and SQLite
    refuses a statement with more than 32,766."""
    if not values:
        return false()
    if dialect.name == "postgresql":
        return column == any_(bindparam("one_of", list(values), type_=ARRAY(column.type), unique=True))
    process = column.type.bind_processor(dialect)
    stored = [process(value) for value in values] if process else list(values)
    listed: Any = select(column_of("value")).select_from(func.json_each(bindparam("one_of", json.dumps(stored), unique=True)))
    return column.in_(listed)


SQLITE_MMAP_BYTES = 1 << 30


def configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see begin_sqlite_transaction).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    # Read the database file through a memory map: pages come straight from the OS page
    # cache instead of being copied into each connection's small page cache (2 MB by
    # default, a national catalogue is some 250 MB). Address space, not memory: every worker
    # reads the same pages of the OS page cache.
    cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
    cursor.close()
    dbapi_connection.create_function("wk_fold", 1, _fold_or_none, deterministic=True)  # see `folded`


def copy_sqlite_database(source: str, target: Path) -> None:
    """Copy a SQLite database file as one read snapshot (the backup API, in one step), which
    in WAL mode holds up no writer."""
    with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(target)) as writing:
        reading.backup(writing)


_IMMEDIATE = "sqlite_begin_immediate"


def begin_sqlite_transaction(connection: Any) -> None:
    # pysqlite's own implicit transactions are switched off above, so that
    # SQLAlchemy's transaction boundaries are the real ones (needed for SAVEPOINT
    # and for DDL inside Alembic's migration transaction).
    immediate = connection.get_execution_options().get(_IMMEDIATE)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def ends_reads_on_event_loop(dialect_name: str) -> bool:
    """Whether a read's transaction (see app.db.get_session) may be committed on the event loop,
    saving a thread-pool round trip (some 5 % of a loaded worker's CPU per search:
    docs/adr/0011-keyed-reads-without-round-trips.md).

    SQLite: ending a read in WAL mode waits on no lock and writes nothing. PostgreSQL: COMMIT
    is a network round trip, which during an outage would hold the event loop up to the
    answer timeout.
    """
    return dialect_name == "sqlite"


def begin_write(session: Session) -> None:
    """Make the session's transaction a write transaction from its first statement.

    SQLite: a plain BEGIN reads from a snapshot, and a later write fails at once (busy,
    no waiting) when another writer committed in between; BEGIN IMMEDIATE takes the
    write lock up front, so concurrent writers queue instead. PostgreSQL needs nothing
    here: writes lock the rows they read for update (app.entity.load_for_save).
    """
    if session.get_bind().dialect.name == "sqlite":
        connection = session.connection(execution_options={_IMMEDIATE: True})
        if not connection.get_execution_options().get(_IMMEDIATE):
            raise RuntimeError("begin_write must run before the transaction's first statement")


def upsert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert these rows, or where one with the same primary key exists, replace its other
    columns. The conflict is found through the key's index whatever the planner thinks of
    the table (a delete-then-insert, planned on a table's old statistics, can scan it whole)."""
    if not rows:
        return
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(table)
    keys = [column.name for column in table.primary_key]
    session.execute(statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in rows[0] if name not in keys}
    ), list(rows))


def add_to_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], counters: Sequence[str]) -> None:
    """Insert these counter rows, or where one with the same primary key exists, add their
    `counters` to its own: one statement, however many rows."""
    if not rows:
        return
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(table).values(list(rows))
    session.execute(statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key],
        set_={name: table.c[name] + statement.excluded[name] for name in counters},
    ))


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], returning: Any = None) -> list[Any]:
    """Insert many rows (a bulk import); all rows have the same keys. `returning`: the
    table's identity column, whose new values are returned in the rows' order.

    SQLite: an executemany, which runs in-process. PostgreSQL: COPY, since an
    executemany sends a statement per row, and a many-VALUES statement or one of arrays
    costs psycopg more to build than the server to run; identity values are drawn from
    the column's sequence first.
    """
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        if returning is None:
            session.execute(insert(table), list(rows))
            return []
        # Rows are inserted in the given order, so their new keys ascend in it (asking
        # SQLAlchemy to sort by parameter order would insert them one at a time).
        return sorted(session.execute(insert(table).returning(returning), list(rows)).scalars())
    names = list(rows[0])
    keys: list[Any] = []
    if returning is not None:
        keys = list(session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, :column)) FROM generate_series(1, :n)"),
            {"table": table.name, "column": returning.name, "n": len(rows)},
        ).scalars())
    connection = session.connection()
    # The values as SQLAlchemy would bind them (JSON as text, times in UTC, …).
    processors = [table.c[name].type.dialect_impl(connection.dialect).bind_processor(connection.dialect) for name in names]
    columns = ", ".join([*names, *([returning.name] if keys else [])])
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:  # type: ignore[union-attr]  # PostgreSQL only: the raw connection is psycopg's
        for i, row in enumerate(rows):
            values = [
                value if process is None or value is None else process(value)
                for process, value in zip(processors, (row[name] for name in names), strict=False)
            ]
            copy.write_row([*values, keys[i]] if keys else values)
    return keys


def begin_snapshot(session: Session) -> None:
    """Make every read of this transaction see one moment (a long export stays consistent).

    SQLite (WAL) already reads one snapshot per transaction; PostgreSQL needs REPEATABLE
    READ, set before the transaction's first statement."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))


# Session.info key: this transaction's writes are rolled back in the end (app.db.scratch_session).
DISCARDED = "writes_discarded"


def lock_change_log(session: Session) -> None:
    """Serialise change-log appends until commit.

    On PostgreSQL, sequence values are handed out before commit, so without this a
    reader of `position > n` could pass a row that commits later with a smaller
    number. The transaction-scoped advisory lock makes appends commit in position
    order. SQLite allows one writer at a time, which already gives that order. Appends
    that are rolled back in any case need no order, and take no lock that would hold
    up every other writer while they run.
    """
    serialise_appends(session, CHANGE_LOG_LOCK_KEY)


def serialise_appends(session: Session, key: int) -> None:
    """Make the transactions that take the lock `key` commit one after another (see
    lock_change_log): what a feed numbered by a sequence needs so no reader passes a row."""
    if session.get_bind().dialect.name == "postgresql" and not session.info.get(DISCARDED):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


# What SQLite says of a unique or foreign key violation (it has no error classes for them).
_SQLITE_RACE_LOST = ("UNIQUE constraint failed", "FOREIGN KEY constraint failed")


def is_lost_race(error: BaseException | None) -> bool:
    """Whether a driver's integrity error is a unique or foreign key violation: what a write
    meets when a concurrent one wrote the same key, or deleted what it refers to, first."""
    if isinstance(error, psycopg.errors.UniqueViolation | psycopg.errors.ForeignKeyViolation):
        return True
    return isinstance(error, sqlite3.IntegrityError) and str(error).startswith(_SQLITE_RACE_LOST)
