"""A database that is away, slow or out of connections: 503 with Retry-After, not a 500.

Every wait on the database is bounded (connect, statement and answer timeouts, pool
timeout: app.dialect.engine_options), so such a request fails within seconds; here that
failure becomes an answer the client can act on. A connection found dead is discarded
by SQLAlchemy (a disconnect invalidates the pool), so recovery needs no restart.
"""

import logging
import sqlite3

import psycopg
from fastapi import FastAPI, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import Response

from app.errors import problem

log = logging.getLogger("wijkkaart")

# SQLite's "the database is away": another writer holds the lock past the busy timeout,
# or the file cannot be opened. Its other OperationalErrors are bugs (bad SQL).
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error")


def is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    # PostgreSQL's operational errors: connection failures (class 08), a cancelled or timed-out
    # statement, a server shutting down, too many connections, out of resources.
    if isinstance(orig, psycopg.OperationalError):
        return True
    return isinstance(orig, sqlite3.OperationalError) and str(orig).lower().startswith(_SQLITE_UNAVAILABLE)


def install_outage_handlers(app: FastAPI, retry_after_seconds: int) -> None:
    """Call before app.fhir.outcome.install_outcome_handlers, which recasts them under /fhir."""

    async def database_unavailable(request: Request, exc: Exception) -> Response:
        if not is_database_unavailable(exc):
            raise exc  # any other database failure is a bug: the generic 500 handler logs it
        # One line, no stack trace: an outage is an expected condition, not a defect.
        log.warning("database unavailable: %s", exc.__class__.__name__)
        response = problem(request, "service-unavailable", "The database cannot be reached right now; retry shortly.")
        response.headers["Retry-After"] = str(retry_after_seconds)
        return response

    app.add_exception_handler(DBAPIError, database_unavailable)
    app.add_exception_handler(PoolTimeout, database_unavailable)

