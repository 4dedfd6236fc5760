"""Privacy and security hardening: search cursors, the secret, keys on every route,
erasure, CSV export and /metrics."""

import base64
import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.search.eligibility import PatientAttributes
from app.search.schemas import SearchCriteria
from app.settings import get_settings

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
        (age, income) for age in range(121) for income in range(0, 301)
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
