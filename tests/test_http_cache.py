"""Conditional GETs and Cache-Control: exact revalidation, no sharing across keys, nothing stored for patients."""

from tests.conftest import Api
from tests.maintenance.test_write_scope import CONTACT, SERVICE


def test_if_none_match_gives_304_until_the_representation_changes(api: Api) -> None:
    path = f"/api/v1/services/{SERVICE}"
    first = api.client.get(path)
    tag = first.headers["ETag"]
    same = api.client.get(path, headers={"If-None-Match": tag})
    assert same.status_code == 304 and same.content == b"" and same.headers["ETag"] == tag

    # A contact of the service changes: the service's own version does not, its representation does.
    contact_tag = api.client.get(f"/api/v1/contacts/{CONTACT}").headers["ETag"]
    changed = api.client.patch(
        f"/api/v1/contacts/{CONTACT}", json={"role": "Wmo-adviseur"},
        headers=api.headers("editor", **{"If-Match": contact_tag}),
    )
    assert changed.status_code == 200, changed.text
    again = api.client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 200 and again.json()["version"] == first.json()["version"]
    assert again.headers["ETag"] != tag


def test_a_redacted_copy_is_never_revalidated_as_the_full_one(api: Api) -> None:
    path = f"/api/v1/contacts/{CONTACT}"
    anonymous = api.client.get(path)
    keyed = api.client.get(path, headers=api.headers("reader", **{"If-None-Match": anonymous.headers["ETag"]}))
    assert keyed.status_code == 200 and keyed.json()["phone"] is not None
    assert anonymous.headers["Cache-Control"].startswith("public") and keyed.headers["Cache-Control"].startswith("private")


def test_cache_control_fits_each_kind_of_answer(api: Api) -> None:
    lists = api.client.get("/api/v1/services")
    assert lists.headers["Cache-Control"] == "public, max-age=60" and lists.headers["Vary"] == "Authorization"
    keyed = api.client.get("/api/v1/search", params={"postcode": "4331AB"}, headers=api.headers("reader"))
    assert keyed.headers["Cache-Control"] == "private, max-age=60" and keyed.headers["Vary"] == "Authorization"
    assert api.client.get("/api/v1/taxonomy").headers["Cache-Control"] == "public, max-age=3600"
    patient = api.client.post("/api/v1/search", json={"postcode": "4331AB", "patient": {"age": 70}})
    assert patient.status_code == 200 and patient.headers["Cache-Control"] == "no-store"
    audit = api.client.get("/api/v1/audit", headers=api.headers("admin"))
    assert audit.headers["Cache-Control"] == "no-store"
    write = api.client.post(f"/api/v1/services/{SERVICE}/verify", headers=api.headers("editor"))
    assert write.status_code == 200 and write.headers["Cache-Control"] == "no-store"


def test_locations_come_as_a_geojson_feature_collection_for_map_layers(api: Api) -> None:
    response = api.client.get("/api/v1/locations", params={"limit": 5}, headers={"Accept": "application/geo+json"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/geo+json"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    body = response.json()
    plain = api.client.get("/api/v1/locations", params={"limit": 5}).json()
    assert body["type"] == "FeatureCollection" and body["next_cursor"] == plain["next_cursor"]
    assert [f["id"] for f in body["features"]] == [item["id"] for item in plain["items"]]
    for feature, item in zip(body["features"], plain["items"], strict=True):
        assert feature["geometry"] == {"type": "Point", "coordinates": [item["lon"], item["lat"]]}
        assert 3.3 < feature["geometry"]["coordinates"][0] < 7.3  # longitude first, as RFC 7946 says


def test_search_results_come_as_geojson_points_at_their_nearest_location(api: Api) -> None:
    params = {"postcode": "4331AB", "limit": 10}
    plain = api.client.get("/api/v1/search", params=params).json()["items"]
    geo = api.client.get("/api/v1/search", params=params, headers={"Accept": "application/geo+json"})
    assert geo.headers["content-type"] == "application/geo+json"
    features = geo.json()["features"]
    located = [r for r in plain if r["nearest_location"]]
    assert [f["properties"]["service"]["id"] for f in features] == [r["service"]["id"] for r in located]
    assert [f["geometry"]["coordinates"] for f in features] == [
        [r["nearest_location"]["lon"], r["nearest_location"]["lat"]] for r in located
    ]
    patient = api.client.post(
        "/api/v1/search", json={"postcode": "4331AB", "patient": {"age": 70}}, headers={"Accept": "application/geo+json"}
    )
    assert patient.headers["content-type"] == "application/geo+json" and patient.headers["Cache-Control"] == "no-store"
