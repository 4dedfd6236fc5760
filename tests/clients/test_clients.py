"""API clients and keys: the CLI's first admin key, storage, revocation, expiry, visibility."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import app as cli
from app.clients import auth
from app.clients.keys import digest
from app.clients.models import ApiKey
from tests.conftest import Api
from tests.maintenance.test_write_scope import CONTACT
from tests.support.factories import make_key

DIRECT_LINES = {"phone", "email", "secure_messaging"}


def test_the_cli_prints_a_working_admin_key_that_is_stored_only_as_its_digest(api: Api, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", api.engine.url.render_as_string(hide_password=False))
    from app.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["clients", "create", "--role", "admin", "--name", "Eerste beheerder"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("wk_") and len(key) >= 40
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["role"] == "admin"
    with Session(api.engine) as session:
        stored = session.exec(select(ApiKey).where(ApiKey.digest == digest(key))).one()
        assert stored.prefix == key[:11]
        assert key not in {value for row in session.exec(select(ApiKey)).all() for value in row.model_dump().values()}


def test_a_bad_revoked_or_expired_key_is_a_401_even_on_reads(api: Api) -> None:
    for headers in (
        api.headers("revoked"), api.headers("expired"),
        {"Authorization": "Bearer wk_not-a-key"}, {"Authorization": "Basic dXNlcjpwdw=="},
    ):
        response = api.client.get("/api/v1/services", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["type"] == "/problems/unauthorized"


def test_revoking_a_key_or_a_client_stops_it_at_once(api: Api) -> None:
    admin = api.headers("admin")
    created = api.client.post("/api/v1/clients", json={"name": "HIS Tijdelijk", "role": "reader"}, headers=admin).json()
    key = {"Authorization": f"Bearer {created['key']}"}
    assert api.client.get("/api/v1/me", headers=key).status_code == 200
    assert "key" not in api.client.get(f"/api/v1/clients/{created['id']}", headers=admin).json()

    second = api.client.post(f"/api/v1/clients/{created['id']}/keys", json={}, headers=admin).json()
    revoked = api.client.delete(f"/api/v1/clients/{created['id']}/keys/{created['keys'][0]['id']}", headers=admin)
    assert revoked.status_code == 204
    assert api.client.get("/api/v1/me", headers=key).status_code == 401
    rotated = {"Authorization": f"Bearer {second['key']}"}
    assert api.client.get("/api/v1/me", headers=rotated).status_code == 200

    assert api.client.delete(f"/api/v1/clients/{created['id']}", headers=admin).status_code == 204
    assert api.client.get("/api/v1/me", headers=rotated).status_code == 401


def test_the_last_working_admin_key_cannot_be_revoked_or_demoted_away(api: Api) -> None:
    admin = api.headers("admin")
    me = api.client.get("/api/v1/me", headers=admin).json()
    refused = [
        api.client.delete(f"/api/v1/clients/{me['id']}", headers=admin),
        api.client.delete(f"/api/v1/clients/{me['id']}/keys/{me['keys'][0]['id']}", headers=admin),
        api.client.put(f"/api/v1/clients/{me['id']}", json={"name": me["name"], "role": "reader"}, headers=admin),
    ]
    for response, field in zip(refused, ("client_id", "key_id", "role"), strict=True):
        assert response.status_code == 409, response.text
        assert response.json()["field"] == field and "admin" in response.json()["detail"]
    assert api.client.get("/api/v1/me", headers=admin).json()["role"] == "admin"  # nothing changed

    # An expired or revoked admin key is no way in: it does not count as another.
    with Session(api.engine) as session, session.begin():
        make_key(session, "Reserve verlopen", "admin", expires_at=datetime.now(UTC) - timedelta(days=1))
    spare = api.client.post("/api/v1/clients", json={"name": "Reserve", "role": "admin"}, headers=admin).json()
    assert api.client.delete(f"/api/v1/clients/{spare['id']}", headers=admin).status_code == 204
    assert api.client.delete(f"/api/v1/clients/{me['id']}", headers=admin).status_code == 409

    successor = api.client.post("/api/v1/clients", json={"name": "Beheer Nieuw", "role": "admin"}, headers=admin)
    assert api.client.delete(f"/api/v1/clients/{me['id']}", headers=admin).status_code == 204
    assert api.client.get("/api/v1/me", headers=admin).status_code == 401
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {successor.json()['key']}"}).status_code == 200


def test_a_key_cannot_be_issued_already_expired(api: Api) -> None:
    admin = api.headers("admin")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    created = api.client.post("/api/v1/clients", json={"name": "Te laat", "role": "reader", "key_expires_at": past},
                              headers=admin)
    assert created.status_code == 422 and created.json()["field"] == "key_expires_at"
    me = api.client.get("/api/v1/me", headers=admin).json()
    issued = api.client.post(f"/api/v1/clients/{me['id']}/keys", json={"expires_at": past}, headers=admin)
    assert issued.status_code == 422 and issued.json()["field"] == "expires_at"
    assert "Te laat" not in [c["name"] for c in api.client.get("/api/v1/clients", headers=admin).json()["items"]]


def test_a_revocation_made_through_another_worker_stops_reads_within_a_second_and_writes_at_once(
    api: Api, monkeypatch
) -> None:
    key = api.headers("editor")
    assert api.client.get("/api/v1/me", headers=key).status_code == 200  # the worker now remembers the key
    with Session(api.engine) as session, session.begin():  # as another worker's revocation commits
        revoke = update(ApiKey).where(ApiKey.digest == digest(api.keys["editor"])).values(revoked_at=datetime.now(UTC))
        session.execute(revoke)
    assert api.client.get("/api/v1/me", headers=key).status_code == 200
    search = api.client.post("/api/v1/search", json={"postcode": "4331AB", "patient": {"age": 70}}, headers=key)
    assert search.status_code == 200  # a POST that only reads
    write = api.client.post("/api/v1/organisations", json={}, headers=key)
    assert write.status_code == 401 and "revoked" in write.json()["detail"]
    later = auth._clock() + auth.KEY_MEMORY_SECONDS
    monkeypatch.setattr(auth, "_clock", lambda: later)
    assert api.client.get("/api/v1/me", headers=key).status_code == 401


def test_a_change_to_a_clients_role_made_in_this_worker_applies_to_its_next_read(api: Api) -> None:
    admin = api.headers("admin")
    created = api.client.post("/api/v1/clients", json={"name": "HIS Rol", "role": "reader"}, headers=admin).json()
    key = {"Authorization": f"Bearer {created['key']}"}
    assert api.client.get("/api/v1/clients", headers=key).status_code == 403  # admins only
    changed = api.client.put(f"/api/v1/clients/{created['id']}", json={"name": "HIS Rol", "role": "admin"},
                             headers=admin)
    assert changed.status_code == 200
    assert api.client.get("/api/v1/clients", headers=key).status_code == 200


def test_a_key_stops_working_when_it_expires(api: Api) -> None:
    admin = api.headers("admin")
    client = api.client.post("/api/v1/clients", json={"name": "Kort", "role": "reader"}, headers=admin).json()
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    valid = api.client.post(f"/api/v1/clients/{client['id']}/keys", json={"expires_at": soon}, headers=admin).json()
    with Session(api.engine) as session, session.begin():  # a key issued earlier, whose time has come
        lapsed = make_key(session, "Kort verlopen", "reader", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {valid['key']}"}).status_code == 200
    response = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {lapsed}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_only_admins_manage_clients_and_a_client_needs_a_scope_that_fits_its_role(api: Api) -> None:
    body = {"name": "Nieuw", "role": "editor", "gemeenten": ["GM0687"]}
    for who, status in (("anonymous", 401), ("reader", 403), ("editor", 403)):
        assert api.client.post("/api/v1/clients", json=body, headers=api.headers(who)).status_code == status
        assert api.client.get("/api/v1/clients", headers=api.headers(who)).status_code == status
    admin = api.headers("admin")
    no_scope = api.client.post("/api/v1/clients", json={"name": "X", "role": "editor"}, headers=admin)
    assert no_scope.status_code == 422
    unknown = api.client.post("/api/v1/clients", json=body | {"gemeenten": ["GM9999"]}, headers=admin)
    assert unknown.status_code == 422 and unknown.json()["field"] == "gemeenten"
    taken = api.client.post("/api/v1/clients", json=body | {"name": "Gemeente Middelburg"}, headers=admin)
    assert taken.status_code == 409
    listed = api.client.get("/api/v1/clients", headers=admin).json()["items"]
    assert {"Beheer", "Gemeente Middelburg", "HIS Voorbeeld"} <= {c["name"] for c in listed}


def _direct_lines_shown(contact: dict) -> bool:
    return contact["redacted"] == [] and contact["phone"] is not None


def test_every_contact_view_shows_direct_lines_to_keys_and_redacts_them_for_anonymous(api: Api) -> None:
    views = {
        "contact": lambda h: [api.client.get(f"/api/v1/contacts/{CONTACT}", headers=h).json()],
        "contact list": lambda h: api.client.get("/api/v1/contacts", headers=h).json()["items"],
        "service": lambda h: api.client.get("/api/v1/services", headers=h).json()["items"][0]["contacts"],
        "search": lambda h: [
            r["contact"] for r in api.client.get("/api/v1/search", params={"postcode": "4331AB"}, headers=h).json()["items"]
            if r["contact"]
        ],
        "front doors": lambda h: [
            d["contact"] for d in api.client.get("/api/v1/front-doors", params={"postcode": "4331AB"}, headers=h).json()["items"]
            if d["contact"]
        ],
    }
    for name, view in views.items():
        anonymous = view({})
        assert anonymous and all(set(c["redacted"]) == DIRECT_LINES for c in anonymous), name
        assert all(c[field] is None for c in anonymous for field in DIRECT_LINES), name
        assert any(_direct_lines_shown(c) for c in view(api.headers("reader"))), name


def test_a_practice_key_reads_direct_lines_and_administers_nothing(api: Api) -> None:
    practice = api.headers("practice")
    contacts = api.client.get("/api/v1/contacts", headers=practice).json()["items"]
    assert any(_direct_lines_shown(c) for c in contacts)
    assert api.client.get("/api/v1/clients", headers=practice).status_code == 403
    assert api.client.get("/api/v1/maintenance/stale", headers=practice).status_code == 403
