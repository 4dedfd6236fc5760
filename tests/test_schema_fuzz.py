"""Schema fuzzing: schemathesis generates requests for every operation of /openapi.json and
runs them in-process against the app on SQLite (a copy of the demo region). No request may
get a server error, and every response must match what the schema says of it.

Bounded: a few examples per operation, the same ones every run, no shrinking deadline, so the
module takes a minute or two. A deeper run, with new examples each time (a failure prints its
request): WIJKKAART_FUZZ_EXAMPLES=300. Reads run anonymously; every operation runs
again with an admin key, so that the write operations get past authentication and their
bodies are exercised.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from app.db import make_engine
from app.demo import load_demo
from app.main import create_app
from tests.conftest import SqliteBackend, postgres_backend
from tests.support.factories import make_key

EXAMPLES = int(os.environ.get("WIJKKAART_FUZZ_EXAMPLES", "0")) or 8
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_headers_conformance, response_schema_conformance,
]
ADMIN_KEY: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    # SQLite, as CI runs it; WIJKKAART_FUZZ_BACKEND=postgresql for a run against PostgreSQL.
    postgres = os.environ.get("WIJKKAART_FUZZ_BACKEND") == "postgresql"
    backend = postgres_backend() if postgres else SqliteBackend(Path(tmp_path_factory.mktemp("fuzz")))
    engine = make_engine(backend.fresh_url())
    with Session(engine) as session, session.begin():
        load_demo(session)
        ADMIN_KEY["key"] = make_key(session, "Fuzzer", "admin")
    with TestClient(create_app(engine)):  # runs the start-up checks
        pass
    yield create_app(engine)
    engine.dispose()
    backend.close()


# The schema is the app's own; building it touches no database. Requests go to `fuzzed_app`.
schema = schemathesis.openapi.from_dict(create_app(make_engine("sqlite://")).openapi())
_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize="WIJKKAART_FUZZ_EXAMPLES" not in os.environ, database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.include(method="GET").parametrize()
@_SETTINGS
def test_anonymous_reads(case: schemathesis.Case, fuzzed_app: FastAPI) -> None:
    case.call_and_validate(checks=CHECKS, app=fuzzed_app)


@schema.parametrize()
@_SETTINGS
def test_with_an_admin_key(case: schemathesis.Case, fuzzed_app: FastAPI) -> None:
    case.call_and_validate(checks=CHECKS, app=fuzzed_app, headers={"Authorization": f"Bearer {ADMIN_KEY['key']}"})
