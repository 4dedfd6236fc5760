"""Test databases: built by running the migrations, on SQLite and on PostgreSQL; a copy of a
template for each test that writes (PostgreSQL copies are recycled: tests/support/pg_recycling.py).

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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import psycopg
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
from tests.support.pg_recycling import NotRecyclable, Snapshot
from tests.support.xdist_schedule import KeepTogether

POSTGRES_URL = os.environ.get(
    "WIJKKAART_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("WIJKKAART_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]
T = TypeVar("T")
# Under xdist (pyproject's addopts) each of these runs on one worker, per database: their
# fixtures cost more than their tests (tests/support/xdist_schedule.py).
KEPT_TOGETHER = (
    "tests/national/test_national_import.py",
    "tests/replicas/test_replica_cluster.py",
    "tests/web/test_web_browser.py",
)
# Tests whose run on the second database compares with the first's, in the same process.
COMPARED_ACROSS_DATABASES = ("tests/search/test_search.py::test_both_databases_return_the_same_results",)
# The suite writes through the services directly (tests/support/factories.py), an entry point of its own.
follow_changes()


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> KeepTogether | None:
    if config.getoption("dist") != "load":
        return None  # another --dist asked for on the command line
    return KeepTogether(config, log, KEPT_TOGETHER, COMPARED_ACROSS_DATABASES)


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


class Kept:
    """What a backend keeps for the whole session (templates, the demo copy and its app), made
    on first use and closed with the backend. pytest tears a session fixture with parameters
    down when a test of another parameter comes between, as under xdist it may: kept here, a
    database's fixtures are built once however its tests are ordered."""

    def __init__(self) -> None:
        self._kept: dict[str, Any] = {}
        self._closers = ExitStack()

    def kept(self, key: str, build: Callable[[ExitStack], T]) -> T:
        """`build`'s result, made the first time; `build` registers what undoes it on the stack."""
        if key not in self._kept:
            self._kept[key] = build(self._closers)
        return cast(T, self._kept[key])

    def close_kept(self) -> None:
        self._closers.close()


class SqliteBackend(Kept):
    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        super().__init__()
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
        self.close_kept()


class PostgresBackend(Kept):
    name = "postgresql"

    def __init__(self) -> None:
        super().__init__()
        self.admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        self.prefix = f"wk_test_{uuid.uuid4().hex[:8]}"
        self._numbers = itertools.count()
        self._created: list[str] = []
        self.template = self._create()
        migrate(self._url(self.template))
        # A copy a test is done with is given its template's rows again by a thread of its own
        # while the next tests run, and handed out again (tests/support/pg_recycling.py):
        # dropping it would make the server checkpoint, which takes far longer than a test.
        self._template_of: dict[str, str] = {}
        self._snapshots: dict[str, Snapshot | None] = {}
        self._recycled: dict[str, queue.SimpleQueue[str]] = {}
        self._done: queue.Queue[tuple[str, Snapshot | None] | None] = queue.Queue()
        self._recycler = threading.Thread(target=self._recycle_done, name="recycle-test-databases", daemon=True)
        self._recycler.start()

    def _url(self, database: str) -> str:
        return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)

    def _conninfo(self, database: str) -> str:
        """The libpq form of the database's URL, for psycopg itself."""
        return make_url(self._url(database)).set(drivername="postgresql").render_as_string(hide_password=False)

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
        """A database as a new copy of `template` would be (default: the migrated, empty one)."""
        source = make_url(template).database if template else self.template
        assert source is not None
        try:
            name = self._recycled[source].get_nowait()
        except (KeyError, queue.Empty):
            name = self._create(source)
            self._template_of[name] = source
        return self._url(name)

    def release(self, url: str) -> None:
        """A test is done with this copy: it is recycled (or dropped) in the background."""
        name = make_url(url).database
        assert name is not None
        source = self._template_of.get(name)
        if source is not None and source not in self._snapshots:
            # Read here, while no copy of it is being made: PostgreSQL copies a template only
            # while nobody is connected to it.
            try:
                self._snapshots[source] = Snapshot.read(self._conninfo(source))
            except NotRecyclable:
                self._snapshots[source] = None
            self._recycled[source] = queue.SimpleQueue()
        self._done.put((name, self._snapshots.get(source) if source else None))

    def _recycle_done(self) -> None:
        with self.admin.connect() as connection:
            while (item := self._done.get()) is not None:
                name, snapshot = item
                try:
                    if snapshot is None:
                        raise NotRecyclable(name)
                    snapshot.restore(self._conninfo(name), name)
                except (NotRecyclable, psycopg.Error):
                    connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    self._created.remove(name)
                else:
                    self._recycled[self._template_of[name]].put(name)
                finally:
                    self._done.task_done()

    def wait_for_recycling(self) -> None:
        """Until every copy released so far is recycled or dropped."""
        self._done.join()

    def _drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def close(self) -> None:
        self.close_kept()
        self._done.put(None)
        self._recycler.join()
        # Each drop waits for a checkpoint; dropped side by side, they share one.
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(self._drop, self._created))
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


@pytest.fixture(scope="session")
def backends() -> Iterator[dict[str, SqliteBackend | PostgresBackend]]:
    """Each database's backend, made when a test first asks for it and closed when the session
    ends (not when a test of the other database comes between: see Kept)."""
    instances: dict[str, SqliteBackend | PostgresBackend] = {}
    yield instances
    for instance in instances.values():
        instance.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
    backends: dict[str, SqliteBackend | PostgresBackend],
) -> SqliteBackend | PostgresBackend:
    if request.param not in backends:
        backends[request.param] = (
            SqliteBackend(tmp_path_factory.mktemp("sqlite")) if request.param == "sqlite" else postgres_backend()
        )
    return backends[request.param]


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
def demo_template(backend: SqliteBackend | PostgresBackend) -> str:
    """A database with the demo region, only ever copied (for tests that write)."""

    def build(_: ExitStack) -> str:
        url = backend.fresh_url()
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            load_demo(session)
        engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
        return url

    return backend.kept("demo_template", build)


@pytest.fixture(scope="session")
def demo_engine(backend: SqliteBackend | PostgresBackend, demo_template: str) -> Engine:
    """One copy per backend of the demo region; tests on it only read."""

    def build(closers: ExitStack) -> Engine:
        engine = make_engine(backend.fresh_url(demo_template))
        closers.callback(engine.dispose)
        return engine

    return backend.kept("demo_engine", build)


@pytest.fixture(scope="session")
def demo_client(backend: SqliteBackend | PostgresBackend, demo_engine: Engine) -> TestClient:
    return backend.kept("demo_client", lambda closers: closers.enter_context(TestClient(create_app(demo_engine))))


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

    def build(_: ExitStack) -> tuple[str, dict[str, str]]:
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

    return backend.kept("api_template", build)


@pytest.fixture
def api(backend: SqliteBackend | PostgresBackend, api_template: tuple[str, dict[str, str]]) -> Iterator[Api]:
    """The app on a fresh copy of the demo region with the API keys, for one test to change."""
    template, keys = api_template
    engine = make_engine(backend.fresh_url(template))
    with TestClient(create_app(engine)) as client:
        yield Api(client=client, engine=engine, keys=keys)
    engine.dispose()
    backend.release(engine.url.render_as_string(hide_password=False))
