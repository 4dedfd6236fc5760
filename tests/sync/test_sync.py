"""Incremental sync: a copy kept by export + change feed equals the server, whatever happens."""

import json
import random
import threading
from typing import Any

from sqlmodel import Session, select

from app.areas.models import Area, Postcode4
from app.changelog.service import EntityType
from app.contacts.models import Contact
from app.front_doors.models import FrontDoor
from app.locations.models import Location
from app.organisations.models import Organisation
from app.services.models import Service
from app.visibility import Viewer
from tests.conftest import Api
from tests.maintenance.test_write_scope import SERVICE, new_item
from tests.support.sync_client import SyncClient, export
from tests.support.sync_reference import reference_view


class Writer:
    """Random creates, updates and deletes through the API, as an admin would make them."""

    def __init__(self, api: Api, seed: int) -> None:
        self.api, self.random = api, random.Random(seed)
        self.contacts: list[str] = []
        self.locations: list[str] = []

    def _send(self, method: str, path: str, body: Any = None, if_match: bool = True) -> Any:
        headers = self.api.headers("admin")
        if if_match:
            headers["If-Match"] = self.api.client.get(path, headers=headers).headers["ETag"]
        response = self.api.client.request(method, path, json=body, headers=headers)
        # 412: the other writer changed the entry in between, as happens in real life.
        assert response.status_code < 300 or response.status_code == 412, response.text
        return response

    def step(self) -> None:
        choice = self.random.choice(["contact", "contact", "edit", "delete", "location", "service", "verify"])
        if choice == "contact" or (choice in ("edit", "delete") and not self.contacts):
            body = new_item("contacts") | {"name": f"Invaller {self.random.random():.6f}"}
            created = self._send("POST", "/api/v1/contacts", body, if_match=False)
            self.contacts.append(created.json()["id"])
        elif choice == "edit":
            role = f"rol {self.random.randint(1, 99)}"
            self._send("PATCH", f"/api/v1/contacts/{self.random.choice(self.contacts)}", {"role": role})
        elif choice == "delete":
            self._send("DELETE", f"/api/v1/contacts/{self.contacts.pop(self.random.randrange(len(self.contacts)))}")
        elif choice == "location":
            created = self._send("POST", "/api/v1/locations", new_item("locations"), if_match=False)
            self.locations.append(created.json()["id"])
        elif choice == "service":
            self._send("PATCH", f"/api/v1/services/{SERVICE}", {"waiting_days": self.random.randint(0, 60)})
        else:
            self._send("POST", f"/api/v1/services/{SERVICE}/verify", if_match=False)


def test_a_copy_kept_by_the_change_feed_equals_the_server_after_every_round(api: Api) -> None:
    reader = api.headers("reader")
    client = SyncClient(api.client, reader)
    client.full_sync()
    assert client.copy == export(api.client, reader)[1]

    writers = [Writer(api, seed) for seed in (1, 2)]
    for round_ in range(6):
        # Two writers at once, while the copy polls the feed: commits interleave with reads.
        threads = [threading.Thread(target=lambda w=w: [w.step() for _ in range(6)]) for w in writers]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            client.sync()
        for thread in threads:
            thread.join()
        client.sync()
        assert client.copy == export(api.client, reader)[1], f"round {round_}"
    assert client.sync() == 0  # nothing is handed out twice


def test_a_copy_started_from_an_export_misses_nothing_written_during_the_export(api: Api) -> None:
    reader = api.headers("reader")
    cursor, _ = export(api.client, reader)
    writer = Writer(api, 3)
    for _ in range(5):
        writer.step()
    client = SyncClient(api.client, reader)
    client.full_sync()
    client.cursor = cursor  # replaying changes already in the export is harmless: upserts are idempotent
    client.sync()
    assert client.copy == export(api.client, reader)[1]


def test_a_tampered_cursor_is_refused_and_a_pruned_one_is_gone(api: Api) -> None:
    tampered = api.client.get("/api/v1/changes", params={"since": "abc"})
    assert tampered.status_code == 422 and tampered.json()["field"] == "since"  # the parameter sent
    first = api.client.get("/api/v1/changes", params={"limit": 1}).json()
    from sqlmodel import delete

    from app.changelog.models import ChangeLogEntry, ChangeLogGemeente

    with Session(api.engine) as session, session.begin():  # as a retention job would
        session.exec(delete(ChangeLogGemeente).where(ChangeLogGemeente.position <= 10))  # type: ignore[call-overload]
        session.exec(delete(ChangeLogEntry).where(ChangeLogEntry.position <= 10))  # type: ignore[call-overload]
    gone = api.client.get("/api/v1/changes", params={"since": first["next_cursor"]})
    assert gone.status_code == 410 and "full sync" in gone.json()["detail"]


def _soft_delete_some(engine: Any) -> None:
    """Deleted entries whose links stay behind (as soft deletes leave them): a service with
    domains and eligibility, a location that live services still list, a contact with areas,
    an organisation with owners. The export must pass over all of them and their links."""
    from sqlalchemy import text

    from app.db import utcnow

    linked = {
        "service": "SELECT service_id FROM eligibility",
        "location": "SELECT location_id FROM service_location",
        "contact": "SELECT contact_id FROM contact_area",
        "organisation": "SELECT organisation_id FROM organisation_owner",
    }
    with Session(engine) as session, session.begin():
        for table, query in linked.items():
            # Raw ids, in each backend's own stored form.
            keys = [row[0] for row in session.connection().execute(text(query)).all()][:2]
            assert keys, table
            for key in keys:
                session.connection().execute(text(f"UPDATE {table} SET deleted_at = :now WHERE id = :id"),
                                             {"now": f"{utcnow():%Y-%m-%d %H:%M:%S}", "id": key})


def _reference_lines(engine: Any, viewer: Viewer) -> list[bytes]:
    """Every live entry in export order, its view built entry by entry and encoded as the export did before."""
    from app.sync.service import EXPORT_ORDER

    keys = {
        EntityType.area: Area.code, EntityType.postcode: Postcode4.pc4, EntityType.organisation: Organisation.id,
        EntityType.location: Location.id, EntityType.service: Service.id, EntityType.contact: Contact.id,
        EntityType.front_door: FrontDoor.id,
    }
    lines = []
    with Session(engine) as session:
        for kind in EXPORT_ORDER:
            for key in session.exec(select(keys[kind]).order_by(keys[kind])).all():
                view = reference_view(session, kind, str(key), viewer)
                if view is not None:
                    line = {"type": kind.value, "id": str(key), "entity": view}
                    lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())
    return lines


def test_the_export_and_the_feed_build_every_view_as_the_entry_by_entry_path_does(api: Api) -> None:
    _soft_delete_some(api.engine)
    for who in ("anonymous", "reader"):
        viewer = Viewer(authenticated=who != "anonymous")
        expected = _reference_lines(api.engine, viewer)
        response = api.client.get("/api/v1/export.ndjson", headers=api.headers(who))
        assert response.status_code == 200
        assert response.content.splitlines()[1:] == expected, who  # byte for byte, fields in order

        entities = [json.loads(line)["entity"] for line in expected]
        services = [e for e in entities if "location_ids" in e]
        # The catalogue has every kind of link, so each merge was exercised.
        assert any(len(s["location_ids"]) > 1 for s in services)
        assert any(s["eligibility"] and s["eligibility"]["household_types"] for s in services)
        assert all(any(s[field] for s in services) for field in ("need_domains", "target_groups", "areas", "owners"))
        assert any(e.get("exceptions") for e in entities) and any(e.get("opening_hours") for e in entities)
        assert any(e.get("redacted") is not None and e["areas"] for e in entities)

        by_key = {(line["type"], line["id"]): line["entity"] for line in map(json.loads, expected)}
        feed = api.client.get("/api/v1/changes", params={"limit": 1000}, headers=api.headers(who)).json()
        upserts = [c for c in feed["items"] if c["operation"] == "upsert" and c["entity"] is not None]
        assert len(upserts) > 100
        for change in upserts:
            expected_view = by_key[change["entity_type"], change["entity_id"]]
            assert list(change["entity"].items()) == list(expected_view.items())
