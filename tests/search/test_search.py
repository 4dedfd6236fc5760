"""Postcode search on the demo region, as a POH would use it, on both databases."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

import app.search.service
from app.clock import local_zone
from app.locations.models import Location, OpeningException
from app.locations.opening import opening_state
from app.locations.schemas import LocationWrite
from app.locations.service import LOCATION_LOAD, save_location
from app.maintenance import service as maintenance
from app.maintenance.kinds import LOCATION, SERVICE
from app.search import cache, memory, ranking
from app.search.schemas import MATCH_LEVELS, SearchCriteria, SearchPage
from app.search.service import search
from app.services.models import ServiceLocation
from app.visibility import ANONYMOUS
from tests.support.factories import (
    ACTOR,
    BUURT,
    GEMEENTE,
    WIJK,
    assert_index_as_rebuilt,
    make_organisation,
    make_region,
    make_service,
)

# postcode, domain -> the first result a POH would expect, and why it matched.
FIRST_RESULTS = [
    ("4337", "financien", "Buurtcoach Middelburg-Zuidoost", "wijk"),
    ("4388", "financien", "Wijkteam Oost-Souburg", "wijk"),
    ("4357", "financien", "Dorpscoach Kustdorpen (Domburg, Zoutelande, Westkapelle)", "wijk"),
    ("4382", "financien", "Wijkteam Binnenstad en Middengebied Vlissingen", "wijk"),
    ("4331 AB", "werk_opleiding", None, "gemeente"),
]

_ORDER_BY_BACKEND: dict[str, dict[str, list[str]]] = {}


def _page(session: Session, criteria: SearchCriteria) -> SearchPage:
    """An anonymous search's page, validated against the model the API documents."""
    return SearchPage.model_validate(search(session, criteria, ANONYMOUS))


@pytest.mark.parametrize(("postcode", "domain", "first", "match"), FIRST_RESULTS)
def test_first_results_a_poh_would_agree_with(demo_client, postcode, domain, first, match) -> None:
    body = demo_client.get("/api/v1/search", params={"postcode": postcode, "domain": domain}).json()
    top = body["items"][0]
    if first:
        assert top["service"]["name"] == first
    assert top["match"] == match
    assert all(domain in item["service"]["need_domains"] for item in body["items"])


def test_ranking_is_by_specificity_then_distance(demo_client) -> None:
    items = demo_client.get("/api/v1/search", params={"postcode": "4388", "limit": 100}).json()["items"]
    keys = [(MATCH_LEVELS.index(i["match"]), i["distance_km"] if i["distance_km"] is not None else 1e9) for i in items]
    ranks = [k[0] for k in keys]
    assert ranks == sorted(ranks)
    for level in set(ranks):
        # Within a level, nearer first (SQL ranks on an equirectangular distance, geopy reports).
        distances = [d for r, d in keys if r == level]
        assert all(a <= b + 0.05 for a, b in itertools.pairwise(distances))


@pytest.mark.parametrize("q", [{}, {"q": "schulden"}])  # with q, pages run through bands and levels
def test_paging_through_a_search_returns_each_result_once(demo_client, q) -> None:
    whole = demo_client.get("/api/v1/search", params={"postcode": "4331", "limit": 100} | q).json()["items"]
    seen, cursor = [], None
    while True:
        params = {"postcode": "4331", "limit": 6} | q | ({"cursor": cursor} if cursor else {})
        body = demo_client.get("/api/v1/search", params=params).json()
        seen += [item["service"]["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [item["service"]["id"] for item in whole]
    assert len(seen) > 6
    if q:
        assert len({(item["why"]["relevance"], item["match"]) for item in whole}) > 2
    # A cursor belongs to its criteria.
    first = demo_client.get("/api/v1/search", params={"postcode": "4331", "limit": 2}).json()["next_cursor"]
    other = demo_client.get("/api/v1/search", params={"postcode": "4382", "cursor": first})
    assert other.status_code == 422 and other.json()["field"] == "cursor"


def test_a_text_page_ranks_only_the_levels_that_decide_it(demo_engine, monkeypatch) -> None:
    """Once a page's rows and one more are matches of the highest band (every word of q in the
    name) in the most specific levels, the less specific ones are not ranked: their matches
    could only come after. Paged that way, the results are the whole ranking's."""
    asked: list[tuple[int, ...]] = []
    found = app.search.service._found

    def counting(reading, where, levels, keep):
        asked.extend(levels)
        return found(reading, where, levels, keep)

    monkeypatch.setattr(app.search.service, "_found", counting)
    criteria = SearchCriteria(postcode="4382", q="wijkteam", limit=100)
    with Session(demo_engine) as session:
        whole = [item.service.id for item in _page(session, criteria).items]
        assert ranking.RADIUS_LEVEL in asked
        paged, cursor = [], None
        while True:
            asked.clear()
            page = _page(session, criteria.model_copy(update={"limit": 1, "cursor": cursor}))
            if not paged:  # two Wijkteams in the buurt, wijk or gemeente decide the first page
                assert page.items[0].why and page.items[0].why.relevance == 4
                assert ranking.RADIUS_LEVEL not in asked
            paged += [item.service.id for item in page.items]
            if not (cursor := page.next_cursor):
                break
    assert paged == whole and len(whole) > 2


def test_whom_to_call_is_current_and_most_specific(demo_client) -> None:
    items = demo_client.get("/api/v1/search", params={"postcode": "4337", "domain": "financien"}).json()["items"]
    buurtcoach = items[0]["contact"]
    assert buurtcoach["is_current"] is True
    assert "BU06870301" in buurtcoach["areas"]  # covers the patient's own buurt
    for item in items:
        assert item["contact"] is None or item["contact"]["is_current"] is True
        assert item["contact"] is None or item["contact"]["phone"] is None  # anonymous: redacted


def test_a_point_search_matches_by_radius_only(session) -> None:
    make_region(session)
    organisation_id = make_organisation(session)
    near, _ = save_location(session, LocationWrite(name="Dichtbij", lat=51.50, lon=3.61), ACTOR)
    far, _ = save_location(session, LocationWrite(name="Ver weg", lat=51.70, lon=3.90), ACTOR)
    open_near = make_service(session, organisation_id, name="Voor iedereen dichtbij", location_ids=[near.id])
    make_service(session, organisation_id, name="Voor iedereen ver weg", location_ids=[far.id])
    make_service(session, organisation_id, name="Alleen Proefstad", areas=[GEMEENTE], location_ids=[near.id])
    results = _page(session, SearchCriteria(lat=51.51, lon=3.61, radius_km=5)).items
    assert [(r.service.id, r.match) for r in results] == [(open_near, "radius")]
    assert results[0].distance_km == pytest.approx(1.11, abs=0.02)  # geodesic, 0.01 degree of latitude
    wide = _page(session, SearchCriteria(lat=51.51, lon=3.61, radius_km=50)).items
    assert [r.service.name for r in wide] == ["Voor iedereen dichtbij", "Voor iedereen ver weg"]


def test_the_radius_level_follows_a_service_gaining_and_losing_areas_and_locations(session) -> None:
    """The radius level holds the services open to anyone (without areas) with a location
    in reach: whatever changes a service's areas or locations moves it."""
    make_region(session)
    organisation_id = make_organisation(session)
    near, _ = save_location(session, LocationWrite(name="Dichtbij", lat=51.50, lon=3.61), ACTOR)
    also, _ = save_location(session, LocationWrite(name="Ook dichtbij", lat=51.505, lon=3.61), ACTOR)
    service_id = make_service(session, organisation_id, name="Soms voor iedereen", location_ids=[near.id])

    def found(**fields: Any) -> list[tuple[Any, str]]:
        if fields:
            make_service(session, organisation_id, id=service_id, name="Soms voor iedereen", **fields)
        session.flush()
        assert_index_as_rebuilt(session)
        criteria = SearchCriteria(lat=51.51, lon=3.61, radius_km=5)
        return [(r.service.id, r.match) for r in _page(session, criteria).items]

    assert found() == [(service_id, "radius")]
    assert found(areas=[GEMEENTE], location_ids=[near.id]) == []
    assert found(areas=[], location_ids=[near.id, also.id]) == [(service_id, "radius")]
    assert found(areas=[], location_ids=[]) == [(service_id, "anywhere")]  # neither: open to anyone, anywhere
    assert found(areas=[], location_ids=[also.id]) == [(service_id, "radius")]
    assert found(areas=[GEMEENTE], location_ids=[]) == []


def test_a_domain_search_follows_a_service_changing_its_areas_and_domains(session) -> None:
    """A search that names domains finds a service by its areas and its domains: whatever
    changes either moves the service."""
    make_region(session)
    organisation_id = make_organisation(session)
    service_id = make_service(session, organisation_id, name="Soms voor geld", areas=[GEMEENTE],
                              need_domains=["financien"])

    def found(domain: str, **fields: Any) -> list[tuple[Any, str]]:
        if fields:
            make_service(session, organisation_id, id=service_id, name="Soms voor geld", **fields)
        session.flush()
        assert_index_as_rebuilt(session)
        criteria = SearchCriteria(postcode="9901", domain=[domain])
        return [(r.service.id, r.match) for r in _page(session, criteria).items]

    assert found("financien") == [(service_id, "gemeente")] and found("huisvesting") == []
    both = ["huisvesting", "werk_opleiding"]
    assert found("huisvesting", areas=[GEMEENTE], need_domains=both) == [(service_id, "gemeente")]
    assert found("financien") == []
    assert found("huisvesting", areas=[WIJK, GEMEENTE], need_domains=both) == [(service_id, "wijk")]
    assert found("werk_opleiding", areas=[BUURT], need_domains=both) == [(service_id, "buurt")]
    assert found("werk_opleiding", areas=[], need_domains=both) == [(service_id, "anywhere")]


def test_a_text_search_follows_a_service_changing_its_areas_and_its_words(session) -> None:
    """A search with q finds a service by its areas and its words: a change to the areas, to
    the service's words or to its organisation's name moves the service, and deleting it drops it."""
    make_region(session)
    organisation_id = make_organisation(session, name="Stichting Proef")
    service_id = make_service(session, organisation_id, name="Geldzaken op orde", areas=[GEMEENTE])

    def found(q: str, **fields: Any) -> list[tuple[Any, str]]:
        if fields:
            make_service(session, organisation_id, id=service_id, **{"name": "Geldzaken op orde", **fields})
        session.flush()
        assert_index_as_rebuilt(session)
        page = _page(session, SearchCriteria(postcode="9901", q=q))
        # Without a match, the page may offer the related need domain's services (fallback): not matches.
        return [(r.service.id, r.match) for r in page.items if page.fallback is None]

    assert found("geldzaken") == [(service_id, "gemeente")] and found("taalcafe") == []
    assert found("taalcafe", name="Taalcafé", areas=[GEMEENTE]) == [(service_id, "gemeente")]
    assert found("geldzaken") == []
    assert found("taalcafe", name="Taalcafé", areas=[WIJK, GEMEENTE]) == [(service_id, "wijk")]
    assert found("taalcafe", name="Taalcafé", areas=[BUURT]) == [(service_id, "buurt")]
    assert found("proefhuis") == []
    make_organisation(session, id=organisation_id, name="Stichting Proefhuis")  # the name is in its services' documents
    assert found("proefhuis") == [(service_id, "buurt")]
    assert found("taalcafe", name="Taalcafé", areas=[]) == [(service_id, "anywhere")]
    make_service(session, organisation_id, id=service_id, name="Taalcafé", areas=[GEMEENTE])
    maintenance.delete(session, SERVICE, service_id, None, ACTOR)
    assert found("taalcafe") == []


def test_the_order_by_distance_follows_services_and_locations_changing(session) -> None:
    """A level is ordered by the distance to each service's nearest live location: linking,
    moving and deleting locations reorders the services."""
    make_region(session)
    organisation_id = make_organisation(session)

    def place(name: str, lat: float, location_id: Any = None) -> Any:
        location, _ = save_location(session, LocationWrite(id=location_id, name=name, lat=lat, lon=3.61), ACTOR)
        return location.id

    near, far = place("Dichtbij", 51.50), place("Ver weg", 51.60)
    first = make_service(session, organisation_id, name="Eerste", areas=[GEMEENTE], location_ids=[near])
    second = make_service(session, organisation_id, name="Tweede", areas=[GEMEENTE], location_ids=[far])

    def order() -> list[Any]:
        session.flush()
        assert_index_as_rebuilt(session)
        return [r.service.id for r in _page(session, SearchCriteria(postcode="9901")).items]

    assert order() == [first, second]
    place("Dichtbij", 51.70, near)  # moved past the other
    assert order() == [second, first]
    nearer = place("Nog dichterbij", 51.501)
    make_service(session, organisation_id, id=first, name="Eerste", areas=[GEMEENTE], location_ids=[near, nearer])
    assert order() == [first, second]
    make_service(session, organisation_id, id=first, name="Eerste", areas=[GEMEENTE], location_ids=[near])
    assert order() == [second, first]
    maintenance.delete(session, SERVICE, second, None, ACTOR)
    maintenance.delete(session, LOCATION, far, None, ACTOR)  # used by a deleted service only
    assert order() == [first]


def test_services_without_areas_or_locations_come_last_from_anywhere(demo_client) -> None:
    """A telephone line or an online course: no area, no address, open to anyone. With q,
    last within its relevance band (a band comes before the match level)."""
    for params in ({"postcode": "4331AB", "q": "schulden"}, {"lat": 51.4989, "lon": 3.6136, "q": "schulden"}):
        items = demo_client.get("/api/v1/search", params=params | {"limit": 100}).json()["items"]
        assert "Online cursus Slim met Geld" in [item["service"]["name"] for item in items], params
        for band in {item["why"]["relevance"] for item in items}:
            matches = [item["match"] for item in items if item["why"]["relevance"] == band]
            if "anywhere" in matches:  # after every other level of its band
                assert matches.index("anywhere") == len(matches) - matches.count("anywhere"), (params, band)
        plain = [item["match"] for item in demo_client.get("/api/v1/search", params={
            key: value for key, value in params.items() if key != "q"} | {"limit": 100}).json()["items"]]
        assert "anywhere" in plain and plain.index("anywhere") == len(plain) - plain.count("anywhere")
        anywhere = [item for item in items if item["match"] == "anywhere"]
        assert all(item["distance_km"] is None and item["nearest_location"] is None for item in anywhere)
    line = demo_client.get("/api/v1/search", params={"postcode": "4382", "q": "luisterlijn"}).json()["items"]
    assert [(item["service"]["name"], item["match"]) for item in line] == [("Luisterlijn Verzinsel", "anywhere")]


def test_filters(demo_client) -> None:
    free = demo_client.get("/api/v1/search", params={"postcode": "4331", "free_only": True, "limit": 100}).json()
    assert free["items"] and all(i["service"]["cost"] == "free" for i in free["items"])
    route = demo_client.get("/api/v1/search", params={"postcode": "4331", "access_route": "via_huisarts"}).json()
    assert route["items"] and all(i["access_route"] == "via_huisarts" for i in route["items"])
    arabic = demo_client.get("/api/v1/search", params={"postcode": "4382", "language": "ar", "limit": 100}).json()
    assert arabic["items"] and all("ar" in i["service"]["languages"] for i in arabic["items"])
    group = demo_client.get("/api/v1/search", params={"postcode": "4382", "target_group": "mantelzorgers"}).json()
    assert group["items"] and all("mantelzorgers" in i["service"]["target_groups"] for i in group["items"])


@pytest.mark.parametrize(
    ("params", "field", "status"),
    [
        ({"postcode": "4331", "radius_km": 0}, "radius_km", 422),
        ({"postcode": "4331", "radius_km": 51}, "radius_km", 422),
        ({"postcode": "4331", "limit": 101}, "limit", 422),
        ({"postcode": "4331", "domain": "geluk"}, "domain", 422),
        ({"postcode": "4331", "target_group": "iedereen"}, "target_group", 422),
        ({"postcode": "4331", "cursor": "bm90LWEtY3Vyc29y"}, "cursor", 422),
        ({"postcode": "4331", "age": 40}, "age", 422),
        ({"postcode": "0331AB"}, "postcode", 422),
        ({"postcode": "4331SS"}, "postcode", 422),
        ({"postcode": "4330"}, "postcode", 422),
        ({"postcode": "9999"}, "postcode", 404),
        ({"lat": 51.5}, None, 422),
        ({"postcode": "4331", "open_now": True, "open_at": "2026-12-25T10:00"}, None, 422),
        ({"postcode": "4331", "open_only": "misschien"}, "open_only", 422),
        ({"postcode": "4331", "open_only": True, "open_at": "morgen"}, "open_at", 422),
    ],
)
def test_bad_input_is_a_problem_naming_the_parameter(demo_client, params, field, status) -> None:
    response = demo_client.get("/api/v1/search", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if field:
        assert response.json()["field"] == field


def test_bad_open_only_in_a_posted_search_is_a_problem_naming_it(demo_client) -> None:
    response = demo_client.post("/api/v1/search", json={"postcode": "4331", "open_only": "misschien"})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "open_only"


# A Tuesday morning (most services open), a Saturday morning (a few) and a Tuesday evening (none), in Middelburg.
OPEN_MOMENTS = ("2026-12-15T10:00", "2026-12-19T11:00", "2026-12-15T20:00")


def _all_pages(demo_client, params: dict[str, Any], method: str = "get") -> list[dict[str, Any]]:
    """Every result of a search, a page at a time."""
    found, cursor = [], None
    while True:
        sent = params | ({"cursor": cursor} if cursor else {})
        response = demo_client.get("/api/v1/search", params=sent) if method == "get" \
            else demo_client.post("/api/v1/search", json=sent)
        assert response.status_code == 200, response.text
        found += response.json()["items"]
        if not (cursor := response.json()["next_cursor"]):
            return found


@pytest.mark.parametrize("where", [{"postcode": "4331"}, {"postcode": "4331AB", "q": "schulden"}])
def test_open_only_pages_through_the_services_open_then_and_no_other(demo_client, where) -> None:
    """open_only keeps, across all pages, exactly the results the unfiltered search calls open at
    that moment, in the same order; a service without locations (or hours) is never open."""
    pages_seen = []
    for moment in OPEN_MOMENTS:
        whole = demo_client.get("/api/v1/search", params=where | {"open_at": moment, "limit": 100}).json()["items"]
        assert any(item["nearest_location"] is None for item in whole) and any(
            item["opening"]["state"] != "open" for item in whole)
        wanted = [item["service"]["id"] for item in whole if item["opening"]["state"] == "open"]
        paged = _all_pages(demo_client, where | {"open_at": moment, "open_only": "true", "limit": 3})
        assert [item["service"]["id"] for item in paged] == wanted
        assert all(item["opening"]["state"] == "open" and item["nearest_location"] for item in paged)
        posted = _all_pages(demo_client, where | {"open_at": moment, "open_only": True, "limit": 3}, "post")
        assert [item["service"]["id"] for item in posted] == wanted
        pages_seen.append(len(paged))
    assert pages_seen[0] > 3 and pages_seen[-1] == 0  # more than a page on Tuesday morning, nothing in the evening


def test_open_only_without_a_moment_is_open_now_and_never_served_past_its_minute(demo_client, monkeypatch) -> None:
    def clock_at(moment: datetime) -> None:
        monkeypatch.setattr(app.search.service, "utcnow", lambda: moment)
        monkeypatch.setattr(cache, "utcnow", lambda: moment)

    morning, evening = datetime(2026, 12, 15, 9, 0, tzinfo=UTC), datetime(2026, 12, 15, 19, 0, tzinfo=UTC)
    clock_at(morning)
    path = "/api/v1/search?postcode=4331&open_only=true&limit=100"
    now_open = demo_client.get(path).json()["items"]
    assert all(datetime.fromisoformat(item["opening"]["at"]) == morning for item in now_open)
    whole = demo_client.get("/api/v1/search", params={"postcode": "4331", "open_at": OPEN_MOMENTS[0], "limit": 100})
    wanted = [item["service"]["id"] for item in whole.json()["items"] if item["opening"]["state"] == "open"]
    assert [item["service"]["id"] for item in now_open] == wanted and wanted
    # The same request, and the same criteria spelt otherwise, an hour later: nothing open, not the morning's page.
    clock_at(evening)
    assert demo_client.get(path).json()["items"] == []
    assert demo_client.get("/api/v1/search?limit=100&open_now=1&open_only=1&postcode=4331").json()["items"] == []


def test_the_read_model_and_the_stored_locations_agree_on_which_services_are_open(demo_engine) -> None:
    """open_only's test (the read model's opening times, memory.open_at) and opening_state over
    the stored locations are one rule: every half hour of the Christmas week, with its
    exceptions, they name the same services."""
    start = datetime(2026, 12, 21, tzinfo=local_zone())
    moments = [start + timedelta(minutes=30 * step) for step in range(7 * 48)] + [
        datetime(2026, 12, 24, 11, 59, 59, tzinfo=local_zone()), datetime(2026, 12, 24, 12, 0, tzinfo=local_zone())]
    with Session(demo_engine) as session:
        model = memory.load(session, None)
        live = {loc.id: loc for loc in session.exec(
            select(Location).where(Location.deleted_at.is_(None)).options(*LOCATION_LOAD)).all()}
        located: dict = {}
        for link in session.exec(select(ServiceLocation)).all():
            if link.location_id in live:
                located.setdefault(link.service_id, []).append(live[link.location_id])
    services = {ranking.from_number(service_id): entry for service_id, entry in model.entries.items()}
    sizes = set()
    for moment in moments:
        is_open = memory.open_at(moment)
        in_model = {service_id for service_id, entry in services.items() if is_open(entry)}
        by_rule = {service_id for service_id in services
                   if any(opening_state(loc, moment) == "open" for loc in located.get(service_id, ()))}
        assert in_model == by_rule, moment
        sizes.add(len(by_rule))
    assert 0 in sizes and len(sizes) > 5


def test_opening_state_follows_holidays_over_weekly_hours(demo_engine) -> None:
    holiday, normal_friday = datetime(2026, 12, 25, 10, 0), datetime(2026, 12, 18, 10, 0)
    with Session(demo_engine) as session:
        closed = set(session.exec(
            select(OpeningException.location_id).where(
                OpeningException.date == holiday.date(), OpeningException.opens.is_(None)
            )
        ).all())
        criteria = SearchCriteria(postcode="4331", open_at=holiday, limit=100)
        on_holiday = _page(session, criteria).items
        on_friday = _page(session, criteria.model_copy(update={"open_at": normal_friday})).items
        locations = {loc.id: loc for loc in session.exec(select(Location).options(*LOCATION_LOAD)).all()}
        links = session.exec(select(ServiceLocation)).all()
    friday_open = {
        loc_id for loc_id, loc in locations.items()
        if any(h.weekday == 4 and h.opens <= normal_friday.time() < h.closes for h in loc.opening_hours)
    }
    where: dict = {}
    for link in links:
        where.setdefault(link.service_id, set()).add(link.location_id)
    # Services all of whose locations open on Fridays at 10:00 but close for Christmas.
    christmas_only = {sid for sid, locs in where.items() if locs <= closed & friday_open}
    holiday_states = {r.service.id: r.opening.state for r in on_holiday if r.opening}
    friday_states = {r.service.id: r.opening.state for r in on_friday if r.opening}
    checked = christmas_only & set(holiday_states)
    assert checked, "the demo has services closed on Christmas that are open on other Fridays"
    for service_id in checked:
        assert holiday_states[service_id] == "closed"
        assert friday_states[service_id] == "open"
    assert all(r.opening.at.tzinfo is not None for r in on_holiday if r.opening)


def test_both_databases_return_the_same_results(demo_client, backend) -> None:
    queries = {
        "4331": {"postcode": "4331", "limit": 100},
        "4388-financien": {"postcode": "4388", "domain": "financien", "limit": 100},
        "point": {"lat": 51.45, "lon": 3.58, "radius_km": 25, "limit": 100},
        "4331-schulden": {"postcode": "4331", "q": "schulden", "limit": 100},
        "4382-mantelzorg": {"postcode": "4382", "q": "mantelzorg", "limit": 100},
        "4388-geldzorgen-hulp": {"postcode": "4388", "q": "geldzorgen hulp", "limit": 100},
    }
    found = {
        name: [i["service"]["id"] for i in demo_client.get("/api/v1/search", params=params).json()["items"]]
        for name, params in queries.items()
    }
    assert all(found[name] for name, params in queries.items() if "q" in params), "the text queries find something"
    _ORDER_BY_BACKEND[backend.name] = found
    if len(_ORDER_BY_BACKEND) < 2:
        pytest.skip("compared when the second database runs")
    assert _ORDER_BY_BACKEND["sqlite"] == _ORDER_BY_BACKEND["postgresql"]


def test_eligible_only_keeps_just_the_services_this_patient_qualifies_for(demo_client) -> None:
    patient = {"age": 30, "income_pct_social_minimum": 150, "household": "alleenstaand", "target_groups": []}
    body = {"postcode": "4331AB", "limit": 100, "patient": patient}
    every = demo_client.post("/api/v1/search", json=body)
    assert every.headers["cache-control"] == "no-store"
    verdicts = {i["service"]["id"]: i["eligibility"]["verdict"] for i in every.json()["items"]}
    assert {"eligible", "not_eligible"} <= set(verdicts.values())
    eligible = demo_client.post("/api/v1/search", json=body | {"eligible_only": True, "limit": 5})
    kept, cursor = eligible.json()["items"], eligible.json()["next_cursor"]
    while cursor:
        page = demo_client.post("/api/v1/search", json=body | {"eligible_only": True, "limit": 5, "cursor": cursor}).json()
        kept, cursor = kept + page["items"], page["next_cursor"]
    assert [i["service"]["id"] for i in kept] == [sid for sid, v in verdicts.items() if v == "eligible"]
    refused = demo_client.post("/api/v1/search", json=body | {"patient": {"age": 130}})
    assert refused.status_code == 422 and refused.json()["field"] == "patient.age"


def test_a_text_query_ranks_the_name_first_then_more_mentions(session) -> None:
    make_region(session)
    organisation_id = make_organisation(session)
    where = {"areas": [GEMEENTE], "need_domains": ["werk_opleiding"]}
    once = make_service(session, organisation_id, name="Inloop", description="Ook voor schulden.", **where)
    twice = make_service(session, organisation_id, name="Inloop", description="Schulden? Hulp bij schuld.", **where)
    named = make_service(session, organisation_id, name="Schuldhulp", description="Budgetcoaching.", **where)
    make_service(session, organisation_id, name="Taalcafé", description="Nederlands oefenen.", **where)
    # "schulden" is a synonym of the need domain Financiën: a service serving it ranks below the word
    # in a name and above the word in a description.
    label_only = make_service(session, organisation_id, name="Loket", **where | {"need_domains": ["financien"]})
    make_service(session, organisation_id, name="Loket", **where)
    found = _page(session, SearchCriteria(postcode="9901", q="schulden")).items
    assert [r.service.id for r in found] == [named, label_only, twice, once]
    assert [(r.why.relevance, [m.where for m in r.why.matches]) for r in found] == [  # type: ignore[union-attr]
        (4, ["name"]), (2, ["domain"]), (1, ["description"]), (1, ["description"])]
    # A cursor continues the same order.
    first = _page(session, SearchCriteria(postcode="9901", q="schulden", limit=2))
    rest = _page(session, SearchCriteria(postcode="9901", q="schulden", cursor=first.next_cursor))
    assert [r.service.id for r in first.items + rest.items] == [named, label_only, twice, once]


@pytest.mark.parametrize("q", [None, "schulden"])
def test_a_service_covering_several_levels_matches_once_at_its_most_specific(session, q) -> None:
    """With or without q (which tests the text inside each level's candidates), a service
    whose areas cover the patient at several levels is found once, at the most specific."""
    make_region(session)
    organisation_id = make_organisation(session)
    by_buurt = make_service(session, organisation_id, name="Schuldhulp buurt", areas=[BUURT, GEMEENTE])
    by_wijk = make_service(session, organisation_id, name="Schuldhulp wijk", areas=[WIJK, GEMEENTE])
    by_gemeente = make_service(session, organisation_id, name="Schuldhulp stad", areas=[GEMEENTE])
    found = _page(session, SearchCriteria(postcode="9901", q=q)).items
    assert [(r.service.id, r.match) for r in found] == [(by_buurt, "buurt"), (by_wijk, "wijk"), (by_gemeente, "gemeente")]


def test_searches_are_computed_within_the_workers_search_limit(api, monkeypatch) -> None:
    """A miss and a search with patient attributes each hold a token of the worker's search
    limiter while they are computed (the rest wait for one: app/dialect, search_threads)."""
    limiter = api.client.app.state.search_limiter
    held: list[float] = []

    def recording_search(*args: Any, **kwargs: Any) -> Any:
        held.append(limiter.borrowed_tokens)
        return search(*args, **kwargs)

    monkeypatch.setattr(app.search.service, "search", recording_search)
    miss = api.client.get("/api/v1/search", params={"postcode": "4337", "domain": "tijdsbesteding"})
    with_patient = api.client.post("/api/v1/search", json={"postcode": "4337", "patient": {"age": 70}})
    assert (miss.status_code, with_patient.status_code) == (200, 200)
    assert held == [1, 1]
