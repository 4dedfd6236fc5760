"""Problem reports: a kind only, into the owning gemeente's queue; three open
`contact_niet_bereikbaar` reports make a contact's reachability uncertain until verified."""

import pytest

from tests.support.referral_world import World, make_world


@pytest.fixture
def world(api) -> World:
    return make_world(api)


def _searched_contact(world: World, who: str = "practice") -> dict:
    items = world.get(who, "/api/v1/search", postcode="4331AB", limit=50).json()["items"]
    return next(item["contact"] for item in items if item["contact"])


def test_three_unreachable_reports_mark_a_contact_uncertain_in_search_until_verified(world: World) -> None:
    contact = _searched_contact(world)
    assert contact["reachability_uncertain"] is False
    path = f"/api/v1/contacts/{contact['id']}/reports"
    for who in ("practice", "practice_b", "reader"):
        assert _searched_contact(world)["reachability_uncertain"] is False
        made = world.post(who, path, {"kind": "contact_niet_bereikbaar"})
        assert made.status_code == 201, made.text
    assert _searched_contact(world)["reachability_uncertain"] is True
    assert _searched_contact(world, "anonymous")["reachability_uncertain"] is True
    assert world.get("practice", f"/api/v1/contacts/{contact['id']}").json()["reachability_uncertain"] is True

    verified = world.api.client.post(f"/api/v1/contacts/{contact['id']}/verify", headers=world.api.headers("editor"))
    assert verified.status_code == 200, verified.text
    assert verified.json()["reachability_uncertain"] is False
    assert _searched_contact(world)["reachability_uncertain"] is False
    # The reports before the verification no longer count: one new one is not three.
    world.post("practice", path, {"kind": "contact_niet_bereikbaar"})
    assert _searched_contact(world)["reachability_uncertain"] is False


def test_closing_reports_below_three_clears_the_mark(world: World) -> None:
    contact = _searched_contact(world)
    path = f"/api/v1/contacts/{contact['id']}/reports"
    ids = [world.post("practice", path, {"kind": "contact_niet_bereikbaar"}).json()["id"] for _ in range(3)]
    assert _searched_contact(world)["reachability_uncertain"] is True
    dismissed = world.post("editor", f"/api/v1/reports/{ids[0]}/dismiss", {})
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert _searched_contact(world)["reachability_uncertain"] is False
    assert world.post("editor", f"/api/v1/reports/{ids[0]}/resolve", {}).status_code == 409


def test_reports_land_in_the_owning_gemeentes_queue_and_count_in_the_stale_report(world: World) -> None:
    for entity, entity_id in (("services", world.service_id), ("contacts", world.contact_id)):
        made = world.post("practice", f"/api/v1/{entity}/{entity_id}/reports", {"kind": "gegevens_verouderd"})
        assert made.status_code == 201 and made.json()["gemeenten"] == ["GM0687"]
    location = world.get("practice", "/api/v1/locations").json()["items"][0]
    assert world.post("provider", f"/api/v1/locations/{location['id']}/reports", {"kind": "anders"}).status_code == 201
    queue = world.get("editor", "/api/v1/reports", status="open").json()["items"]
    assert {(item["entity_type"], item["kind"]) for item in queue} >= {
        ("service", "gegevens_verouderd"), ("contact", "gegevens_verouderd")}
    assert world.get("editor_other_gemeente", "/api/v1/reports", status="open").json()["items"] == [
        item for item in world.get("admin", "/api/v1/reports", status="open").json()["items"]
        if "GM0718" in item["gemeenten"]
    ]
    assert world.get("practice", "/api/v1/reports").status_code == 403
    stale = world.get("editor", "/api/v1/maintenance/stale").json()
    assert stale["signals"]["open_reports"] == len(queue)
    resolved = world.post("editor", f"/api/v1/reports/{queue[0]['id']}/resolve", {})
    assert resolved.status_code == 200 and resolved.json()["closed_at"]
    assert world.get("editor", "/api/v1/maintenance/stale").json()["signals"]["open_reports"] == len(queue) - 1
    assert world.post("editor_other_gemeente", f"/api/v1/reports/{queue[1]['id']}/resolve", {}).status_code == 404


def test_a_report_takes_a_kind_and_nothing_else(world: World) -> None:
    path = f"/api/v1/services/{world.service_id}/reports"
    assert world.post("practice", path, {"kind": "anders", "toelichting": "mevrouw X"}).status_code == 422
    assert world.post("practice", path, {"kind": "iets"}).status_code == 422
    assert world.post("anonymous", path, {"kind": "anders"}).status_code == 401
    assert world.post("practice", "/api/v1/services/00000000-0000-0000-0000-000000000000/reports",
                      {"kind": "anders"}).status_code == 404
