"""Privacy and security hardening: search cursors, the secret, keys on every route,
erasure, CSV export and /metrics."""

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from app import cli
from app.main import create_app
from app.search.eligibility import PatientAttributes
from app.search.schemas import SearchCriteria
from app.settings import SecretMissing, Settings, get_settings

SEARCH = {"postcode": "4331AB", "limit": 2}
PATIENT = {"age": 67, "income_pct_social_minimum": 130}


def _scope(cursor: str) -> str:
    """The scope a cursor carries in the clear (after its 16-byte signature)."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    return json.loads(raw[16:])["s"]


def _post_cursor(client: TestClient, patient: dict[str, Any]) -> str:
    response = client.post("/api/v1/search", json=SEARCH | {"patient": patient})
    assert response.status_code == 200, response.text
    cursor = response.json()["next_cursor"]
    assert cursor
    return cursor


def test_a_search_cursor_gives_away_no_patient_value_to_whoever_knows_the_criteria(
    demo_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cursor = _post_cursor(demo_client, PATIENT)
    scope = _scope(cursor)
    # Whoever holds the cursor and the criteria (and this code) tries every age and income,
    # written and hashed as the search writes them: no candidate confirms any values.
    criteria = SearchCriteria.model_validate(SEARCH).model_dump_json(exclude={"cursor", "limit"})
    found = [
        (age, income) for age in range(121) for income in range(301)
        if scope.endswith(hashlib.sha256(
            f"{criteria}{PatientAttributes(age=age, income_pct_social_minimum=income).model_dump_json()}False".encode()
        ).hexdigest()[:16])
    ]
    assert found == []
    # The scope depends on the server's secret: another secret, another scope for the same
    # search, so it cannot be recomputed without the key ...
    monkeypatch.setattr(get_settings(), "secret_key", "another deployment's secret")
    assert _scope(_post_cursor(demo_client, PATIENT)) != scope
    # ... and a cursor signed under one secret is refused under another.
    replayed = demo_client.post("/api/v1/search", json=SEARCH | {"patient": PATIENT, "cursor": cursor})
    assert replayed.status_code == 422 and replayed.json()["field"] == "cursor"


def test_a_search_cursor_replayed_with_other_patient_values_is_refused(demo_client: TestClient) -> None:
    cursor = _post_cursor(demo_client, PATIENT)
    same = demo_client.post("/api/v1/search", json=SEARCH | {"patient": PATIENT, "cursor": cursor})
    assert same.status_code == 200
    for other in ({"age": 66, "income_pct_social_minimum": 130}, {"age": 67, "income_pct_social_minimum": 131}, {}):
        replayed = demo_client.post("/api/v1/search", json=SEARCH | {"patient": other, "cursor": cursor})
        assert replayed.status_code == 422 and replayed.json()["field"] == "cursor"
    bare = demo_client.post("/api/v1/search", json=SEARCH | {"cursor": cursor})
    assert bare.status_code == 422 and bare.json()["field"] == "cursor"


@pytest.fixture
def no_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment without WIJKKAART_SECRET_KEY (restored afterwards, and read anew)."""
    monkeypatch.delenv("WIJKKAART_SECRET_KEY")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_app_refuses_to_start_without_a_secret(no_secret: None, demo_engine: Engine) -> None:
    with pytest.raises(SecretMissing, match="WIJKKAART_SECRET_KEY"):
        create_app(demo_engine, Settings())
    with pytest.raises(SecretMissing, match="WIJKKAART_SECRET_KEY"):
        create_app(demo_engine)


def test_serve_without_a_secret_refuses_other_hosts_and_makes_one_up_on_loopback(
    no_secret: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str | None] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: started.append(os.environ.get("WIJKKAART_SECRET_KEY")))
    refused = CliRunner().invoke(cli.app, ["serve", "--host", "0.0.0.0"])
    assert refused.exit_code == 2 and "WIJKKAART_SECRET_KEY" in refused.output
    assert started == []
    # The README's demo: on 127.0.0.1, a secret of its own for each run, saying what that means.
    for _ in range(2):
        demo = CliRunner().invoke(cli.app, ["serve"])
        assert demo.exit_code == 0 and "restart" in demo.output
        monkeypatch.delenv("WIJKKAART_SECRET_KEY")
        get_settings.cache_clear()
    assert len(started) == 2 and started[0] != started[1] and all(len(secret or "") >= 32 for secret in started)
