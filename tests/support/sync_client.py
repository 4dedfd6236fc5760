"""A HIS-style copy of the catalogue, kept by a full export and then the change feed."""

import json
from typing import Any

from fastapi.testclient import TestClient

Key = tuple[str, str]


def export(http: TestClient, headers: dict[str, str]) -> tuple[str, dict[Key, Any]]:
    """The cursor and every entry of a full export."""
    response = http.get("/api/v1/export.ndjson", headers=headers)
    assert response.status_code == 200, response.text
    first, *rest = (json.loads(line) for line in response.text.splitlines())
    assert first["type"] == "cursor"
    return first["next_cursor"], {(line["type"], line["id"]): line["entity"] for line in rest}


class SyncClient:
    def __init__(self, http: TestClient, headers: dict[str, str], page_size: int = 25) -> None:
        self.http, self.headers, self.page_size = http, headers, page_size
        self.cursor: str | None = None
        self.copy: dict[Key, Any] = {}

    def full_sync(self) -> None:
        self.cursor, self.copy = export(self.http, self.headers)

    def sync(self) -> int:
        """Apply every change since the cursor; returns how many there were."""
        applied = 0
        while True:
            response = self.http.get(
                "/api/v1/changes", params={"since": self.cursor, "limit": self.page_size}, headers=self.headers
            )
            assert response.status_code == 200, response.text
            page = response.json()
            for change in page["items"]:
                key = (change["entity_type"], change["entity_id"])
                if change["operation"] == "delete":
                    self.copy.pop(key, None)
                elif change["entity"] is not None:  # null: deleted since; its delete follows
                    self.copy[key] = change["entity"]
            applied += len(page["items"])
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                return applied
