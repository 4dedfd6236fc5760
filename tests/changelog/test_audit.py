"""The audit trail, erasure of a person who has left, and the freshness report."""

import asyncio
from datetime import timedelta

import httpx
from sqlmodel import Session, select

from app.areas.models import Area
from app.changelog.models import ChangeLogEntry
from app.clock import local_today
from tests.conftest import Api
from tests.maintenance.test_write_scope import CONTACT, SERVICE, new_item


def trail(api: Api, who: str = "admin", **params: str) -> list[dict]:
    response = api.client.get("/api/v1/audit", params=params | {"limit": 100}, headers=api.headers(who))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_the_trail_records_who_for_whom_what_and_the_fields_before_and_after(api: Api) -> None:
    etag = api.client.get(f"/api/v1/contacts/{CONTACT}").headers["ETag"]
    headers = api.headers("editor", **{"If-Match": etag, "X-On-Behalf-Of": "Piet Beheer"})
    api.client.patch(f"/api/v1/contacts/{CONTACT}", json={"role": "Wmo-adviseur"}, headers=headers)
    [entry] = trail(api, entity_type="contact", entity_id=CONTACT)[:1]
    assert entry["action"] == "update" and entry["actor"] == "client:Gemeente Middelburg"
    assert entry["on_behalf_of"] == "Piet Beheer" and entry["gemeenten"] == ["GM0687"]
    assert entry["changes"] == {"role": ["Wmo-consulent", "Wmo-adviseur"]}
    by_client = trail(api, client_id=entry["client_id"])
    assert [e["position"] for e in by_client] == [entry["position"]]


def test_a_staff_name_sent_as_utf8_is_recorded_as_written_and_other_bytes_are_refused(api: Api) -> None:
    def patch(name: bytes, role: str) -> int:
        etag = api.client.get(f"/api/v1/contacts/{CONTACT}").headers["ETag"]
        headers = api.headers("editor", **{"If-Match": etag}) | {"X-On-Behalf-Of": name}

        async def send() -> int:
            # httpx's own ASGI transport passes the header's bytes as they are (TestClient re-encodes them).
            transport = httpx.ASGITransport(app=api.client.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return (await client.patch(f"/api/v1/contacts/{CONTACT}", json={"role": role}, headers=headers)).status_code

        return asyncio.run(send())

    assert patch("Anouk Çelik-Brouwer".encode(), "Wmo-adviseur") == 200
    assert trail(api, entity_type="contact", entity_id=CONTACT)[0]["on_behalf_of"] == "Anouk Çelik-Brouwer"
    assert patch("Anouk Çelik".encode("latin-1"), "Wmo-coach") == 422  # not UTF-8: refused, nothing written
    assert api.client.get(f"/api/v1/contacts/{CONTACT}").json()["role"] == "Wmo-adviseur"


def test_an_editor_sees_the_trail_of_its_own_gemeenten_only(api: Api) -> None:
    api.client.post("/api/v1/contacts", json=new_item("contacts"), headers=api.headers("editor"))
    vlissingen = trail(api, "editor_other_gemeente")
    assert vlissingen and all("GM0718" in e["gemeenten"] for e in vlissingen)
    assert "client:Gemeente Middelburg" not in {e["actor"] for e in vlissingen}
    refused = api.client.get("/api/v1/audit", params={"gemeente": "GM0687"}, headers=api.headers("editor_other_gemeente"))
    assert refused.status_code == 403
    assert api.client.get("/api/v1/audit", headers=api.headers("reader")).status_code == 403
    middelburg = trail(api, "admin", gemeente="GM0687", since="2000-01-01T00:00:00")
    assert middelburg[0]["actor"] == "client:Gemeente Middelburg"


def test_erasing_a_contact_removes_the_person_from_the_contact_the_trail_and_the_changes(api: Api) -> None:
    etag = api.client.get(f"/api/v1/contacts/{CONTACT}").headers["ETag"]
    api.client.patch(
        f"/api/v1/contacts/{CONTACT}", json={"phone": "0118 600 999"}, headers=api.headers("editor", **{"If-Match": etag})
    )
    assert api.client.post(f"/api/v1/contacts/{CONTACT}/erase", headers=api.headers("editor")).status_code == 403
    assert api.client.post(f"/api/v1/contacts/{CONTACT}/erase", headers=api.headers("admin")).status_code == 200
    assert api.client.post(f"/api/v1/contacts/{CONTACT}/erase", headers=api.headers("admin")).status_code == 200

    assert api.client.get(f"/api/v1/contacts/{CONTACT}").status_code == 410
    with Session(api.engine) as session:
        entries = session.exec(select(ChangeLogEntry).where(ChangeLogEntry.entity_id == CONTACT)).all()
        recorded = repr([(e.changes, e.actor, e.on_behalf_of) for e in entries])
    for personal in ("Fenna", "Fictief", "0118 600", "f.fictief@"):
        assert personal not in recorded
    assert [e["action"] for e in trail(api, entity_id=CONTACT)][:2] == ["erase", "update"]


def test_the_stale_report_lists_what_a_gemeente_should_check(api: Api) -> None:
    ending = (local_today() + timedelta(days=10)).isoformat()
    api.client.post(
        "/api/v1/contacts", json=new_item("contacts") | {"name": "Tijdelijk Invaller", "valid_until": ending},
        headers=api.headers("editor"),
    )
    with Session(api.engine) as session, session.begin():
        retired = session.get(Area, "WK068701")
        retired.retired_year = 2025  # a herindeling retired this wijk
    api.client.patch(
        f"/api/v1/services/{SERVICE}", json={"areas": ["WK068701"]},
        headers=api.headers("admin", **{"If-Match": api.client.get(f"/api/v1/services/{SERVICE}").headers["ETag"]}),
    )

    report = api.client.get("/api/v1/maintenance/stale", params={"older_than_days": 1}, headers=api.headers("editor")).json()
    assert report["gemeenten"] == ["GM0687"]
    assert "Tijdelijk Invaller" in {c["name"] for c in report["contacts_expiring"]}
    uses = {(u["entity_type"], u["id"], u["area_code"]) for u in report["retired_area_uses"]}
    assert ("service", SERVICE, "WK068701") in uses
    # The demo's own contact and front door for that wijk are listed too.
    assert {kind for kind, _, _ in uses} == {"service", "contact", "front_door"}
    assert {code for _, _, code in uses} == {"WK068701"}
    assert SERVICE in {s["id"] for s in report["services_not_verified"]}

    api.client.post(f"/api/v1/services/{SERVICE}/verify", headers=api.headers("editor"))
    again = api.client.get("/api/v1/maintenance/stale", params={"older_than_days": 1}, headers=api.headers("editor")).json()
    assert SERVICE not in {s["id"] for s in again["services_not_verified"]}

    vlissingen = api.client.get("/api/v1/maintenance/stale", headers=api.headers("editor_other_gemeente")).json()
    assert "Tijdelijk Invaller" not in {c["name"] for c in vlissingen["contacts_expiring"]}
    assert vlissingen["retired_area_uses"] == []
    refused = api.client.get("/api/v1/maintenance/stale", params={"gemeente": "GM0687"},
                             headers=api.headers("editor_other_gemeente"))
    assert refused.status_code == 403
