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
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem
from app.replicas import READ_ONLY_HEADER, Databases

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



class ReadOnlyNotice:
    """While the primary does not answer (app.replicas), every response says the API is
    read-only: reads are answered from the replicas, writes get a 503 with Retry-After."""

    def __init__(self, app: ASGIApp, databases: Databases) -> None:
        self.app = app
        self.databases = databases

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_notice(message: Message) -> None:
            if message["type"] == "http.response.start" and not self.databases.primary_answers:
                MutableHeaders(scope=message)[READ_ONLY_HEADER] = "primary database unreachable; writes answer 503"
            await send(message)

        await self.app(scope, receive, send_with_notice)
