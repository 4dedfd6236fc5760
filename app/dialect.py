"""The few places where SQLite and PostgreSQL really differ."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

# Any constant: the key of the PostgreSQL advisory lock that orders change-log appends.
CHANGE_LOG_LOCK_KEY = 7_351_002


def engine_options(url: str) -> dict[str, Any]:
    if make_url(url).get_backend_name() == "sqlite":
        # One file shared across the worker threads of the API.
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    return {"pool_size": 10, "max_overflow": 10}


def configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see begin_sqlite_transaction).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


def begin_sqlite_transaction(connection: Any) -> None:
    # pysqlite's own implicit transactions are switched off above, so that
    # SQLAlchemy's transaction boundaries are the real ones (needed for SAVEPOINT
    # and for DDL inside Alembic's migration transaction).
    connection.exec_driver_sql("BEGIN")


def lock_change_log(session: Session) -> None:
    """Serialise change-log appends until commit.

    On PostgreSQL, sequence values are handed out before commit, so without this a
    reader of `position > n` could pass a row that commits later with a smaller
    number. The transaction-scoped advisory lock makes appends commit in position
    order. SQLite allows one writer at a time, which already gives that order.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK_KEY})
