"""Every connection the app opens carries the settings app/dialect gives it."""

from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db import make_engine
from app.dialect import SQLITE_MMAP_BYTES
from app.main import create_app
from app.settings import Settings


def test_connections_are_configured_for_the_api(backend: Any) -> None:
    engine = make_engine(backend.fresh_url(), Settings(db_statement_timeout=3, search_rate_limit=""))
    try:
        with engine.connect() as connection:
            if backend.name == "postgresql":
                assert connection.execute(text("SHOW statement_timeout")).scalar() == "3s"
                assert connection.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "1min"
                assert connection.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
                assert connection.execute(text("SHOW random_page_cost")).scalar() == "1.1"
                assert connection.connection.driver_connection.prepare_threshold == 5
            else:
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(text("PRAGMA mmap_size")).scalar() == SQLITE_MMAP_BYTES
    finally:
        engine.dispose()


def test_a_transaction_left_idle_is_ended_and_frees_its_locks(backend: Any) -> None:
    """A client that crashed or hung inside a transaction holds its locks only until the
    server's idle-in-transaction timeout ends its session; the next writer then goes on."""
    if backend.name != "postgresql":
        pytest.skip("SQLite has no server to end another client's session")
    engine = make_engine(backend.fresh_url(), Settings(db_idle_in_transaction_timeout=0.5))
    try:
        abandoned = engine.connect()
        abandoned.begin()
        abandoned.execute(text("LOCK TABLE organisation IN EXCLUSIVE MODE"))  # what a crashed import held
        with engine.connect() as writer:
            writer.execute(text("SET lock_timeout = '20s'"))  # far longer than the idle timeout, short of for ever
            writer.execute(text("LOCK TABLE organisation IN EXCLUSIVE MODE"))  # waits until the abandoned one ends
            writer.rollback()
        with pytest.raises(DBAPIError, match="idle-in-transaction timeout"):  # the server ended it
            abandoned.execute(text("SELECT 1"))
        abandoned.invalidate()
    finally:
        engine.dispose()


def test_searches_at_once_are_two_unless_set(engine) -> None:
    """Ranked in Python, more searches at once only contend for the GIL, on either database."""
    assert create_app(engine).state.search_limiter.total_tokens == 2
    wider = create_app(engine, Settings(search_threads=5))
    assert wider.state.search_limiter.total_tokens == 5


def test_a_connection_whose_ping_fails_is_replaced(backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # As when a reset socket interrupts the ping and psycopg refuses to restore autocommit:
    # not a disconnect error, yet the connection must not be used (nor the request answered with a 500).
    if backend.name != "postgresql":
        pytest.skip("SQLite's connections are files: nothing to ping")
    engine = make_engine(backend.fresh_url(), Settings(search_rate_limit=""))
    try:
        with engine.connect() as connection:
            first = connection.connection.driver_connection
        ping = type(engine.dialect).do_ping
        failures = iter([psycopg.ProgrammingError("can't change 'autocommit' now: connection in transaction status ACTIVE")])

        def failing_once(self: Any, dbapi_connection: Any) -> bool:
            if (error := next(failures, None)) is not None:
                raise error
            return ping(self, dbapi_connection)

        monkeypatch.setattr(type(engine.dialect), "do_ping", failing_once)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
            assert connection.connection.driver_connection is not first
        assert next(failures, None) is None  # the failing ping did run
    finally:
        engine.dispose()


def test_read_requests_keep_the_statements_psycopg_prepared(backend: Any, writable_demo: Any) -> None:
    # psycopg prepares a statement the sixth time a connection runs it and forgets them all
    # on a ROLLBACK, so reads end with COMMIT, also those refused (app.db.get_session), and
    # so does the readiness probe.
    if backend.name != "postgresql":
        pytest.skip("prepared statements are psycopg's")
    url = writable_demo.url.render_as_string(hide_password=False)
    settings = Settings(db_pool_size=1, db_max_overflow=0, search_cache_mb=0, search_rate_limit="")
    engine = make_engine(url, settings)
    try:
        with TestClient(create_app(engine, settings)) as client:
            for _ in range(6):  # each request its own transaction on the one pooled connection
                assert client.get("/api/v1/search?postcode=4331AB").status_code == 200
            # Refused after reading the postcode: a client's mistake, not the database's.
            refused = client.get("/api/v1/search?postcode=4331AB&domain=bestaatniet")
            assert refused.status_code == 422, refused.text
            assert client.get("/health/ready").status_code == 200  # the probe uses the same connection
        with engine.connect() as connection:
            prepared = connection.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
        assert any("search_card" in statement for statement in prepared), prepared
    finally:
        engine.dispose()


def test_prepared_statements_can_be_switched_off_for_a_pooler(backend: Any) -> None:
    if backend.name != "postgresql":
        pytest.skip("prepared statements are psycopg's")
    engine = make_engine(backend.fresh_url(), Settings(db_prepared_statements=False, search_rate_limit=""))
    try:
        with engine.connect() as connection:
            assert connection.connection.driver_connection.prepare_threshold is None
            for _ in range(7):
                connection.execute(text("SELECT count(*) FROM area")).scalar()
            assert connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar() == 0
    finally:
        engine.dispose()
