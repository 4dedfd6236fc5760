"""Incremental sync: a copy kept by export + change feed equals the server, whatever happens."""

import random
import threading
from typing import Any

from tests.conftest import Api
from tests.sync_client import SyncClient, export
from tests.test_write_scope import SERVICE, new_item


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
            created = self._send("POST", "/api/v1/contacts", new_item("contacts") | {"name": f"Invaller {self.random.random():.6f}"}, if_match=False)
            self.contacts.append(created.json()["id"])
        elif choice == "edit":
            self._send("PATCH", f"/api/v1/contacts/{self.random.choice(self.contacts)}", {"role": f"rol {self.random.randint(1, 99)}"})
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
    assert tampered.status_code == 422 and tampered.json()["field"] == "cursor"
    first = api.client.get("/api/v1/changes", params={"limit": 1}).json()
    from sqlmodel import Session, delete

    from app.changelog.models import ChangeLogEntry, ChangeLogGemeente

    with Session(api.engine) as session, session.begin():  # as a retention job would
        session.exec(delete(ChangeLogGemeente).where(ChangeLogGemeente.position <= 10))  # type: ignore[call-overload]
        session.exec(delete(ChangeLogEntry).where(ChangeLogEntry.position <= 10))  # type: ignore[call-overload]
    gone = api.client.get("/api/v1/changes", params={"since": first["next_cursor"]})
    assert gone.status_code == 410 and "full sync" in gone.json()["detail"]
