"""Test databases: built by running the migrations, on SQLite and on PostgreSQL.

PostgreSQL comes from WIJKKAART_TEST_POSTGRES_URL (default: the local server on
127.0.0.1:5432, user postgres, database test). Where it cannot be reached its tests
skip with the reason, unless WIJKKAART_REQUIRE_POSTGRES=1 (as in CI): then they fail.
"""

import itertools
import os
import queue
import threading

# The suite searches anonymously far more often than a person would: no rate limit here
# (tests/ops/test_ops_limits.py builds apps with one).
os.environ.setdefault("WIJKKAART_SEARCH_RATE_LIMIT", "off")
# The app refuses to start without a secret (tests/test_hardening_privacy.py).
os.environ.setdefault("WIJKKAART_SECRET_KEY", "wijkkaart-test-suite-secret")
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from app.db import alembic_config, make_engine
from app.demo import load_demo
from app.main import create_app
from app.organisations.models import Organisation
from app.search.index.writer import follow_changes
from tests.support.factories import make_key

POSTGRES_URL = os.environ.get(
    "WIJKKAART_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("WIJKKAART_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]
# The suite writes through the services directly (tests/support/factories.py), an entry point of its own.
follow_changes()


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


class SqliteBackend:
    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.template = directory / "template.db"
        self._numbers = itertools.count()
        migrate(self.url(self.template))

    @staticmethod
    def url(path: Path) -> str:
        return f"sqlite:///{path}"

    def empty_url(self) -> str:
        return self.url(self.directory / f"empty-{next(self._numbers)}.db")

    def fresh_url(self, template: str | None = None) -> str:
        """A new database copied from `template` (default: the migrated, empty one)."""
        path = self.directory / f"db-{next(self._numbers)}.db"
        shutil.copy(make_url(template).database if template else self.template, path)  # type: ignore[arg-type]
        return self.url(path)

    def release(self, url: str) -> None:
        """A test is done with this copy."""
        Path(make_url(url).database).unlink(missing_ok=True)  # type: ignore[arg-type]

    def close(self) -> None:
        pass


class PostgresBackend:
    name = "postgresql"

    def __init__(self) -> None:
        self.admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        self.prefix = f"wk_test_{uuid.uuid4().hex[:8]}"
        self._numbers = itertools.count()
        self._created: list[str] = []
        self.template = self._create()
        migrate(self._url(self.template))
        # Dropping a database takes as long as making one, or far longer when it waits for a
        # checkpoint: the copies tests are done with are dropped by a thread of their own while
        # the next tests run, not all at the end.
        self._done: queue.Queue[str | None] = queue.Queue()
        self._dropper = threading.Thread(target=self._drop_done, name="drop-test-databases", daemon=True)
        self._dropper.start()

    def _url(self, database: str) -> str:
        return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)

    def _create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{next(self._numbers)}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}{clause}"))
        self._created.append(name)
        return name

    def empty_url(self) -> str:
        return self._url(self._create())

    def fresh_url(self, template: str | None = None) -> str:
        """A new database copied from `template` (default: the migrated, empty one)."""
        return self._url(self._create(make_url(template).database if template else self.template))

    def release(self, url: str) -> None:
        """A test is done with this copy: it is dropped in the background."""
        self._done.put(make_url(url).database)

    def _drop_done(self) -> None:
        with self.admin.connect() as connection:
            while (name := self._done.get()) is not None:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                self._created.remove(name)

    def close(self) -> None:
        self._done.put(None)
        self._dropper.join()
        with self.admin.connect() as connection:
            for name in reversed(self._created):
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self.admin.dispose()


def postgres_backend() -> PostgresBackend:
    """A new PostgreSQL backend; unreachable, a skip (a failure under WIJKKAART_REQUIRE_POSTGRES=1)."""
    try:
        probe = create_engine(POSTGRES_URL)
        with probe.connect():
            pass
        probe.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "unreachable"
        reason = f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} is unreachable: {exc.__class__.__name__}"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason} (WIJKKAART_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(f"{reason}; set WIJKKAART_TEST_POSTGRES_URL to run these tests")
    return PostgresBackend()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqliteBackend | PostgresBackend]:
    if request.param == "sqlite":
        instance: SqliteBackend | PostgresBackend = SqliteBackend(tmp_path_factory.mktemp("sqlite"))
    else:
        instance = postgres_backend()
    yield instance
    instance.close()


@pytest.fixture
def engine(backend: SqliteBackend | PostgresBackend) -> Iterator[Engine]:
    """A fresh, empty database at the migration head."""
    engine = make_engine(backend.fresh_url())
    yield engine
    engine.dispose()
    backend.release(engine.url.render_as_string(hide_password=False))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def demo_engine(backend: SqliteBackend | PostgresBackend) -> Iterator[Engine]:
    """One database per backend with the demo region loaded; tests on it only read."""
    engine = make_engine(backend.fresh_url())
    with Session(engine) as session, session.begin():
        load_demo(session)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_client(demo_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(demo_engine)) as client:
        yield client


@pytest.fixture(scope="session")
def demo_template(backend: SqliteBackend | PostgresBackend) -> str:
    """A database with the demo region, only ever copied (for tests that write)."""
    url = backend.fresh_url()
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        load_demo(session)
    engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
    return url


@pytest.fixture
def writable_demo(backend: SqliteBackend | PostgresBackend, demo_template: str) -> Iterator[Engine]:
    """A fresh copy of the demo region, for one test to change."""
    engine = make_engine(backend.fresh_url(demo_template))
    yield engine
    engine.dispose()
    backend.release(engine.url.render_as_string(hide_password=False))


# The API keys of the maintenance tests. Targets are owned by Middelburg (GM0687).
MIDDELBURG, VLISSINGEN = "GM0687", "GM0718"


@dataclass
class Api:
    client: TestClient
    engine: Engine
    keys: dict[str, str]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        """Request headers for one of the keys (`anonymous`: none)."""
        auth = {"Authorization": f"Bearer {self.keys[who]}"} if who != "anonymous" else {}
        return auth | extra


@pytest.fixture(scope="session")
def api_template(backend: SqliteBackend | PostgresBackend, demo_template: str) -> tuple[str, dict[str, str]]:
    """The demo region with the maintenance tests' API keys, only ever copied; and those keys."""
    url = backend.fresh_url(demo_template)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        limited_to = session.exec(
            select(Organisation.id).where(Organisation.name == "Stichting Sociaal Wijkteam Fictief Middelburg")
        ).one()
        yesterday = datetime.now(UTC) - timedelta(days=1)
        keys = {
            "admin": make_key(session, "Beheer", "admin"),
            "reader": make_key(session, "HIS Voorbeeld", "reader"),
            "practice": make_key(session, "Huisartsenpraktijk Voorbeeld", "practice"),
            "editor": make_key(session, "Gemeente Middelburg", "editor", (MIDDELBURG,)),
            "editor_other_gemeente": make_key(session, "Gemeente Vlissingen", "editor", (VLISSINGEN,)),
            "editor_other_organisation": make_key(
                session, "Wijkteam Middelburg", "editor", (MIDDELBURG,), (str(limited_to),)
            ),
            "revoked": make_key(session, "Oud", "editor", (MIDDELBURG,), revoked=True),
            "expired": make_key(session, "Verlopen", "editor", (MIDDELBURG,), expires_at=yesterday),
        }
    engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
    return url, keys


@pytest.fixture
def api(backend: SqliteBackend | PostgresBackend, api_template: tuple[str, dict[str, str]]) -> Iterator[Api]:
    """The app on a fresh copy of the demo region with the API keys, for one test to change."""
    template, keys = api_template
    engine = make_engine(backend.fresh_url(template))
    with TestClient(create_app(engine)) as client:
        yield Api(client=client, engine=engine, keys=keys)
    engine.dispose()
    backend.release(engine.url.render_as_string(hide_password=False))
