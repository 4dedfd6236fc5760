"""The practice page (app/web) through its HTTP routes, on the demo region, on both databases.

The browser's view of it (keyboard use, axe-core, requests, print) is tests/web/test_web_browser.py.
"""

import json
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

import app.search.service as search_service
from app.demo import SEED_DIR
from app.referrals.models import Referral
from app.web import dutch, sessions
from app.web import service as web_service
from tests.conftest import Api
from tests.support.factories import make_key

CATALOGUE = json.loads((SEED_DIR / "catalogue.json").read_text(encoding="utf-8"))
DEBT_SEARCH = "/?postcode=4331AB&q=schulden"


def _debt_counselling() -> dict[str, Any]:
    """The demo's debt counselling service, its organisation's public number and its general contact."""
    service = next(s for s in CATALOGUE["services"] if s["name"].startswith("Schuldhulpverlening Walcheren"))
    organisation = next(o for o in CATALOGUE["organisations"] if o["id"] == service["organisation_id"])
    contacts = [c for c in CATALOGUE["contacts"] if c["service_id"] == service["id"]]
    return {"service": service, "public_phone": organisation["phone"], "contacts": contacts}


DEBT = _debt_counselling()
# A service one enters through the GP (DEBT is open to anyone).
GGZ = next(s for s in CATALOGUE["services"] if s["name"] == "Generalistische basis-GGZ")
CODE = r"(?:Verwijscode|Aanmeldcode): (WK-[0-9A-Z-]+)"


def text_of(html: str) -> str:
    """The page's visible text, white space collapsed."""
    html = re.sub(r"<(script|style|title|svg)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def contact_shown(card: str) -> dict[str, Any]:
    """The debt counselling contact a card names as whom to call."""
    text = text_of(card)
    shown = [c for c in DEBT["contacts"] if f"{c['name']}, {c['role']}" in text]
    assert len(shown) == 1, text
    return shown[0]


def shows_a_direct_line(html: str) -> bool:
    return any(c[line] and c[line] in html for c in DEBT["contacts"] for line in ("phone", "email"))


def card_of(html: str, service_id: str) -> str:
    card = rf'<li class="result-card" id="dienst-{service_id}">(.*?)</li>\s*(?=<li class="result-card"|</ol>)'
    match = re.search(card, html, re.DOTALL)
    assert match, f"no card for {service_id}"
    return match.group(1)


def csrf(client: TestClient) -> str:
    page = client.get("/inloggen")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_the_empty_page_is_a_dutch_form_with_a_label_for_every_control(demo_client: TestClient) -> None:
    response = demo_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="nl">' in response.text
    assert "script" not in response.headers["content-security-policy"].replace("script-src", "")
    assert "<script" not in response.text
    ids = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', response.text)
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', response.text))
    assert ids and set(ids) <= labelled
    assert len(re.findall(r'name="domain"', response.text)) == 13
    # Nothing searched yet: no results, no error.
    assert "resultaten" not in text_of(response.text) and "form-field-error" not in response.text


def test_a_search_by_link_shows_the_debt_counselling_card_with_whom_to_call(demo_client: TestClient) -> None:
    response = demo_client.get(DEBT_SEARCH)
    assert response.status_code == 200
    card = card_of(response.text, DEBT["service"]["id"])
    text = text_of(card)
    assert DEBT["service"]["name"] in text
    assert f'href="tel:{DEBT["public_phone"].replace(" ", "")}"' in card
    contact_shown(card)
    # Anonymous: the contacts' direct lines and e-mail stay off the page.
    assert not shows_a_direct_line(response.text)
    assert "Gevonden op: schulden" in text
    assert "Waarom hier: In de gemeente van de patiënt" in text
    assert re.search(r"Wachttijd ±\d+ (weken|dagen), gemeld \d+ [a-z]{3}", text)
    assert "Toegang Vrij toegankelijk" in text and "Kosten Gratis" in text
    assert re.search(r"Vandaag \((ma|di|wo|do|vr|za|zo) \d+ [a-z]{3}\)", text)
    # The front doors for the address come before the results.
    page = text_of(response.text)
    assert page.index("Eerste aanspreekpunt voor dit adres") < page.index(DEBT["service"]["name"] + " Schuldhulp")
    assert "Voor Wgs schuldhulpverlening in Middelburg" in page


@pytest.mark.parametrize("q", ["Hulpverlening", "SCHULDEN geld", "geldzorgen"])
def test_each_card_names_the_words_the_search_matched_it_by(demo_client: TestClient, q: str) -> None:
    """"Gevonden op" lists the words of the result's why.matches, as typed: also a word found
    inside a compound ("hulpverlening" in "Schuldhulpverlening") and a compound's parts."""
    html = demo_client.get("/", params={"postcode": "4331AB", "q": q}).text
    found = demo_client.get("/api/v1/search", params={"postcode": "4331AB", "q": q, "limit": 20}).json()["items"]
    typed = {word.lower(): word for word in q.split()}
    assert found
    for item in found:
        words = [typed.get(match["word"], match["word"]) for match in item["why"]["matches"]]
        text = text_of(card_of(html, item["service"]["id"]))
        assert ("Gevonden op: " + ", ".join(words) + ".") in text if words else "Gevonden op" not in text
    debt = text_of(card_of(html, DEBT["service"]["id"])) if DEBT["service"]["id"] in html else ""
    if q == "Hulpverlening":
        assert "Gevonden op: Hulpverlening." in debt


def test_the_map_draws_a_numbered_marker_per_located_result(demo_client: TestClient) -> None:
    html = demo_client.get(DEBT_SEARCH).text
    cards = re.findall(r'<li class="result-card"', html)
    addresses = len(re.findall(r"<dt>Adres</dt>", html))
    markers = re.findall(r'<g class="map-marker"><circle cx="([\d.]+)" cy="([\d.]+)"', html)
    assert cards and len(markers) == addresses
    assert all(0 <= float(x) <= 320 and 0 <= float(y) <= 320 for x, y in markers)


@pytest.mark.parametrize(("query", "field", "message"), [
    ("postcode=12&q=schulden", "postcode", "Vul een Nederlandse postcode in"),
    ("postcode=4330", "postcode", "alleen postbussen"),
    ("postcode=9999ZZ", "postcode", "kent de wijkkaart niet"),
    ("q=schulden", "postcode", "Vul de postcode van de patiënt in"),
    ("postcode=4331AB&q=*", "q", "Vul een woord in"),
    ("postcode=4331AB&q=qqqzzzx", "q", "Niets gevonden voor ‘qqqzzzx’"),
    ("postcode=4331AB&domain=geen_domein", "domain", "Kies een onderwerp"),
    ("postcode=4331AB&target_group=niemand", "target_group", "Kies een doelgroep"),
    # A NUL character, which PostgreSQL refuses in any string it is sent.
    ("postcode=4331AB&target_group=a%00b", "target_group", "Kies een doelgroep"),
    ("postcode=4331AB&domain=a%00b", "domain", "Kies een onderwerp"),
])
def test_bad_input_is_a_dutch_message_next_to_its_field(demo_client: TestClient, query: str, field: str, message: str) -> None:
    response = demo_client.get(f"/?{query}")
    assert response.status_code == 200
    error = re.search(rf'<p class="form-field-error" id="{field}-error">([^<]+)</p>', response.text)
    assert error and message in unescape(error.group(1))
    # The message is tied to its control (the topics' group for a topic).
    tied = rf'aria-describedby="[^"]*{field}-error"' + ("" if field == "domain" else r'[^>]*aria-invalid="true"')
    assert re.search(tied, response.text)


def test_filters_narrow_the_results(demo_client: TestClient) -> None:
    everything = demo_client.get("/?postcode=4331AB&domain=geestelijke_gezondheid").text
    free = demo_client.get("/?postcode=4331AB&domain=geestelijke_gezondheid&free_only=1").text
    assert "Kosten Eigen bijdrage" in text_of(everything) and "Kosten Eigen bijdrage" not in text_of(free)
    assert "Kosten Gratis" in text_of(free)
    debts = text_of(demo_client.get("/?postcode=4331AB&domain=financien").text)
    assert "Onderwerpen: " in debts
    topic_lines = re.findall(r"Onderwerpen: ([^.]*?) (?:Openingstijden|Voorwaarden|Website|Folder)", debts)
    assert all("Financiën" in topics for topics in topic_lines)


def card_ids(html: str) -> list[str]:
    return re.findall(r'<li class="result-card" id="dienst-([^"]+)"', html)


def test_only_what_is_open_now_runs_through_every_page(demo_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_service, "utcnow", lambda: datetime(2026, 12, 15, 9, 0, tzinfo=UTC))  # Tue 10:00 here
    monkeypatch.setattr(web_service, "PAGE_SIZE", 3)
    whole = demo_client.get("/api/v1/search", params={"postcode": "4331AB", "open_at": "2026-12-15T10:00", "limit": 100})
    wanted = [item["service"]["id"] for item in whole.json()["items"] if item["opening"]["state"] == "open"]
    assert len(wanted) > 3 and len(wanted) < len(whole.json()["items"])
    shown, link, pages = [], "/?postcode=4331AB&open_now=1", 0
    while link:
        html = demo_client.get(link).text
        pages += 1
        cards = card_ids(html)
        assert html.count("(nu open)") == len(cards) and "(nu gesloten)" not in html
        assert 'id="open_now" name="open_now" value="1" checked' in html
        shown += cards
        more = re.search(r'<a class="button button--secondary" href="(/\?[^"]+)">Meer resultaten</a>', html)
        link = unescape(more.group(1)) if more else None
        assert link is None or "open_now=1" in link
    assert shown == wanted and pages > 1


def test_when_nothing_is_open_now_the_page_says_so(demo_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_service, "utcnow", lambda: datetime(2026, 12, 15, 19, 0, tzinfo=UTC))  # Tue 20:00 here
    closed = demo_client.get("/?postcode=4331AB&q=schulden&open_now=1").text
    assert not card_ids(closed) and "geen van deze diensten open" in text_of(closed)
    assert "form-field-error" not in closed
    assert card_ids(demo_client.get("/?postcode=4331AB&q=schulden").text)
    # A word that finds nothing at all is said to find nothing, open or not.
    nothing = demo_client.get("/?postcode=4331AB&q=qqqzzzx&open_now=1").text
    assert "Niets gevonden voor" in nothing and "geen van deze diensten open" not in nothing


def test_more_results_link_to_the_next_page(demo_client: TestClient) -> None:
    first = demo_client.get("/?postcode=4331AB").text
    link = re.search(r'<a class="button button--secondary" href="(/\?[^"]+)">Meer resultaten</a>', first)
    assert link
    second = demo_client.get(unescape(link.group(1))).text

    def ids(html: str) -> set[str]:
        return set(re.findall(r'id="dienst-([^"]+)"', html))

    assert ids(second) and not ids(first) & ids(second)
    # A link whose cursor no longer holds (or never did) shows the first page.
    assert ids(demo_client.get("/?postcode=4331AB&cursor=verlopen").text) == ids(first)


def test_the_eligibility_check_posts_and_gives_verdicts_in_dutch(demo_client: TestClient) -> None:
    token = csrf(demo_client)
    response = demo_client.post("/", data={
        "csrf_token": token, "postcode": "4331AB", "q": "schulden", "age": "40", "household": "alleenstaand",
        "income": "110", "beschikking": "nee",
    })
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers  # nothing of the patient in a cookie
    card = text_of(card_of(response.text, DEBT["service"]["id"]))
    assert "Komt in aanmerking" in card and "Vanaf 18 jaar: voldoet" in card
    young = demo_client.post("/", data={"csrf_token": token, "postcode": "4331AB", "q": "schulden", "age": "16"})
    card = text_of(card_of(young.text, DEBT["service"]["id"]))
    assert "Komt niet in aanmerking" in card and "Vanaf 18 jaar: voldoet niet (patiënt is 16)" in card


def test_the_eligibility_check_reports_bad_numbers_on_their_field(demo_client: TestClient) -> None:
    response = demo_client.post("/", data={"csrf_token": csrf(demo_client), "postcode": "4331AB", "age": "veertig"})
    assert 'id="age-error"' in response.text and "Vul de leeftijd in hele jaren in" in response.text
    assert "Komt in aanmerking" not in response.text


def test_every_post_form_needs_its_csrf_token(demo_client: TestClient) -> None:
    for path, data in (("/", {"postcode": "4331AB", "age": "40"}), ("/inloggen", {"key": "wk_x"}), ("/uitloggen", {})):
        assert demo_client.post(path, data=data).status_code == 403
        assert demo_client.post(path, data={**data, "csrf_token": "forged.token"}).status_code == 403
    # A token signed by this server but not the visitor's own cookie is refused too.
    other = TestClient(demo_client.app)
    assert demo_client.post("/", data={"csrf_token": csrf(other), "postcode": "4331AB"}).status_code == 403


def _cookie_header(response: Any, name: str) -> str:
    return next(value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}="))


def test_a_practice_signs_in_sees_direct_lines_and_signs_out(api: Api) -> None:
    client = api.client
    assert not shows_a_direct_line(client.get(DEBT_SEARCH).text)
    response = client.post("/inloggen", data={"csrf_token": csrf(client), "key": api.keys["practice"]},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = _cookie_header(response, sessions.SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=" in cookie
    assert api.keys["practice"] not in cookie
    signed_in = client.get(DEBT_SEARCH).text
    card = card_of(signed_in, DEBT["service"]["id"])
    contact = contact_shown(card)
    assert f'href="tel:{contact["phone"].replace(" ", "")}"' in card and contact["email"] in card
    assert "Ingelogd als Huisartsenpraktijk Voorbeeld" in text_of(signed_in)
    # The handout is for the patient: never a direct line, signed in or not.
    handout = client.get(f"/diensten/{DEBT['service']['id']}/folder").text
    assert not shows_a_direct_line(handout) and DEBT["public_phone"] in handout
    token = re.search(r'name="csrf_token" value="([^"]+)"', signed_in).group(1)  # type: ignore[union-attr]
    out = client.post("/uitloggen", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert not shows_a_direct_line(client.get(DEBT_SEARCH).text)


def test_a_session_cookie_that_was_altered_is_ignored(api: Api) -> None:
    client = api.client
    client.post("/inloggen", data={"csrf_token": csrf(client), "key": api.keys["practice"]})
    value = client.cookies[sessions.SESSION_COOKIE]
    body, mac = value.split(".")
    client.cookies.set(sessions.SESSION_COOKIE, body + "." + mac[::-1])
    assert not shows_a_direct_line(client.get(DEBT_SEARCH).text)


@pytest.mark.parametrize(("who", "message"), [
    ("reader", "Dit is geen praktijksleutel"),
    ("revoked", "Deze sleutel werkt niet"),
    ("expired", "Deze sleutel werkt niet"),
])
def test_only_a_working_practice_key_signs_in(api: Api, who: str, message: str) -> None:
    response = api.client.post("/inloggen", data={"csrf_token": csrf(api.client), "key": api.keys[who]})
    assert response.status_code == 422 and message in response.text
    assert sessions.SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert api.keys[who] not in response.text


def test_a_revoked_key_ends_its_session(api: Api) -> None:
    client = api.client
    client.post("/inloggen", data={"csrf_token": csrf(client), "key": api.keys["practice"]})
    assert shows_a_direct_line(client.get(DEBT_SEARCH).text)
    admin = api.headers("admin")
    clients = client.get("/api/v1/clients?limit=100", headers=admin).json()["items"]
    practice = next(c for c in clients if c["role"] == "practice")
    assert client.delete(f"/api/v1/clients/{practice['id']}", headers=admin).status_code == 204
    assert not shows_a_direct_line(client.get(DEBT_SEARCH).text)


def _signed_in(api: Api) -> str:
    """Sign the practice key in on the api client; the CSRF token of its pages."""
    api.client.post("/inloggen", data={"csrf_token": csrf(api.client), "key": api.keys["practice"]})
    return api.client.cookies[sessions.CSRF_COOKIE]


def refer_form(card: str) -> dict[str, Any]:
    """The fields of a result card's "Verwijs" form, as the browser would send them."""
    form = re.search(r'<form method="post" action="/verwijs".*?</form>', card, re.DOTALL)
    assert form, "no Verwijs form on the card"
    fields: dict[str, Any] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)):
        fields.setdefault(name, []).append(value)
    return {name: values[0] if name != "domain" else values for name, values in fields.items()}


LISTED_CODE = r"<td[^>]*>(WK-[0-9A-Z-]+)</td>"


def listed_codes(html: str) -> list[str]:
    """The codes in the referral list, top to bottom."""
    return re.findall(LISTED_CODE, html)


def listed_row(html: str, code: str) -> list[str]:
    """The text of the referral list's cells after the code: service, date, urgency, status."""
    rows = dict(re.findall(LISTED_CODE + r"(.*?)</tr>", html, re.DOTALL))
    assert code in rows, html
    return [text_of(cell) for cell in re.findall(r"<td>(.*?)</td>", rows[code], re.DOTALL)]


def test_a_signed_in_practice_refers_from_a_card_and_gets_the_code_on_the_handout(api: Api) -> None:
    client = api.client
    _signed_in(api)
    card = card_of(client.get(DEBT_SEARCH).text, DEBT["service"]["id"])
    fields = refer_form(card)
    # The service and its need domains, the search's postcode for the handout, and nothing about the patient.
    assert set(fields) == {"csrf_token", "service_id", "domain", "postcode"}
    assert fields["service_id"] == DEBT["service"]["id"] and fields["domain"] == ["financien"]
    assert fields["postcode"] == "4331AB"
    response = client.post("/verwijs", data={**fields, "urgency": "spoed"})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    text = text_of(response.text)
    code = re.search(CODE, text).group(1)  # type: ignore[union-attr]
    assert DEBT["service"]["name"] in text and "Wat neemt u mee?" in text and not shows_a_direct_line(response.text)
    made = client.get(f"/api/v1/referrals/{code}", headers=api.headers("practice"))
    assert made.status_code == 200
    assert made.json()["service_id"] == DEBT["service"]["id"] and made.json()["urgency"] == "spoed"
    assert made.json()["need_domains"] == ["financien"] and made.json()["status"] == "verstuurd"

    mine = client.get("/verwijzingen")
    assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store"
    cells = listed_row(mine.text, code)
    assert cells[0] == DEBT["service"]["name"] and cells[2] == "spoed" and cells[3] == "verstuurd"
    assert re.fullmatch(r"\d+ [a-z]{3} \d{4}", cells[1])
    assert 'href="/verwijzingen">Mijn verwijzingen' in mine.text

    for status, shown in (("contact_gelegd", "contact gelegd"), ("afgesloten", "afgesloten – geholpen")):
        body = {"status": status, **({"outcome": "geholpen"} if status == "afgesloten" else {})}
        moved = client.post(f"/api/v1/referrals/{code}/status", json=body, headers=api.headers("editor"))
        assert moved.status_code == 200, moved.text
        assert listed_row(client.get("/verwijzingen").text, code)[3] == shown


def nearest_location(client: TestClient, postcode: str, service: dict[str, Any]) -> str:
    """The name of the service's location nearest to the postcode, as the search's result says."""
    items = client.get("/api/v1/search", params={"postcode": postcode, "domain": service["need_domains"][0], "limit": 100})
    return next(i for i in items.json()["items"] if i["service"]["id"] == service["id"])["nearest_location"]["name"]


def handout_location(html: str) -> str:
    return text_of(re.search(r"<h2>Waar en wanneer\?</h2>\s*<p>(.*?)<br>", html, re.DOTALL).group(1))  # type: ignore[union-attr]


def test_the_handout_after_referring_shows_the_location_nearest_the_searched_postcode(api: Api) -> None:
    client = api.client
    _signed_in(api)
    first = handout_location(client.get(f"/diensten/{DEBT['service']['id']}/folder").text)
    shown = {}
    for postcode in ("4382", "4331AB"):
        fields = refer_form(card_of(client.get(f"/?postcode={postcode}&q=schulden").text, DEBT["service"]["id"]))
        assert fields["postcode"] == postcode
        handout = client.post("/verwijs", data=fields)
        assert handout.status_code == 200 and re.search(CODE, text_of(handout.text))
        shown[postcode] = handout_location(handout.text)
        assert shown[postcode] == nearest_location(client, postcode, DEBT["service"])
    assert len(set(shown.values()) | {first}) == 3  # each postcode its own, neither the first by name
    # Without a postcode (or one the wijkkaart cannot place), the first location.
    fields = refer_form(card_of(client.get(DEBT_SEARCH).text, DEBT["service"]["id"]))
    for postcode in ("", "0000XX"):
        assert handout_location(client.post("/verwijs", data=fields | {"postcode": postcode}).text) == first


@pytest.mark.parametrize("postcode", ["4331AB", "4382", "4357"])
def test_the_handout_names_the_location_the_result_card_does(demo_client: TestClient, postcode: str) -> None:
    handout = demo_client.get(f"/diensten/{DEBT['service']['id']}/folder?postcode={postcode}").text
    assert handout_location(handout) == nearest_location(demo_client, postcode, DEBT["service"])


def test_open_access_says_no_referral_is_needed_and_the_code_announces_the_patient(api: Api) -> None:
    client = api.client
    _signed_in(api)
    open_card = card_of(client.get(DEBT_SEARCH).text, DEBT["service"]["id"])
    gp_card = card_of(client.get("/?postcode=4331AB&q=ggz").text, GGZ["id"])
    assert "Geen verwijzing nodig: de patiënt kan zelf bellen of langsgaan." in text_of(open_card)
    assert re.search(r'aria-describedby="vrij-[^"]+">Verwijs', open_card)
    assert "Geen verwijzing nodig" not in text_of(gp_card) and "Verwijs" in text_of(gp_card)
    # The handout: for open access a code that announces the patient, never a "verwijscode" they would need.
    announced = text_of(client.post("/verwijs", data=refer_form(open_card)).text)
    assert re.search(r"Aanmeldcode: WK-", announced) and "Verwijscode" not in announced
    assert "Uw huisartsenpraktijk heeft u aangemeld. Noem deze code als u belt" in announced
    assert "U heeft geen verwijzing nodig." in announced
    referred = text_of(client.post("/verwijs", data=refer_form(gp_card)).text)
    assert re.search(r"Verwijscode: WK-", referred) and "Neem deze code mee of noem hem als u belt." in referred
    assert "geen verwijzing nodig" not in referred and "met een verwijzing van uw huisarts" in referred


def test_the_referral_list_shows_only_the_practices_own_newest_first_and_flags_niet_opgepakt(
    api: Api, monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = api.client
    token = _signed_in(api)
    with Session(api.engine) as session, session.begin():
        other_practice = make_key(session, "Huisartsenpraktijk Ander", "practice")
    other = client.post("/api/v1/referrals", json={"service_id": DEBT["service"]["id"], "need_domains": ["financien"]},
                        headers={"Authorization": f"Bearer {other_practice}"})
    assert other.status_code == 201
    codes = [
        re.search(CODE, text_of(client.post("/verwijs", data={
            "csrf_token": token, "service_id": DEBT["service"]["id"], "domain": "financien",
        }).text)).group(1)  # type: ignore[union-attr]
        for _ in range(2)
    ]
    with Session(api.engine) as session, session.begin():
        session.execute(update(Referral).where(Referral.code == codes[0]).values(
            acknowledge_by=datetime.now(UTC) - timedelta(days=1)))
    html = client.get("/verwijzingen").text
    assert listed_codes(html) == codes[::-1] and other.json()["code"] not in html
    assert listed_row(html, codes[0])[3] == "verstuurd niet opgepakt" and listed_row(html, codes[1])[3] == "verstuurd"
    # A page at a time: "Oudere verwijzingen" leads on; a stale link gives the first page again.
    monkeypatch.setattr(web_service, "REFERRALS_PAGE_SIZE", 1)
    first = client.get("/verwijzingen").text
    assert listed_codes(first) == [codes[1]]
    older = re.search(r'href="(/verwijzingen\?cursor=[^"]+)">Oudere verwijzingen', first).group(1)  # type: ignore[union-attr]
    assert listed_codes(client.get(unescape(older)).text) == [codes[0]]
    stale = client.get("/verwijzingen?cursor=nietsgeldigs")
    assert stale.status_code == 200 and listed_codes(stale.text) == [codes[1]]


def test_referring_needs_a_signed_in_practice_and_the_pages_csrf_token(api: Api) -> None:
    client = api.client
    fields = {"service_id": DEBT["service"]["id"], "domain": "financien"}
    # Anonymous: no button, no list, and a post is refused.
    assert 'action="/verwijs"' not in client.get(DEBT_SEARCH).text and "Mijn verwijzingen" not in client.get("/").text
    listing = client.get("/verwijzingen", follow_redirects=False)
    assert listing.status_code == 303 and listing.headers["location"] == "/inloggen"
    assert listing.headers["cache-control"] == "no-store"
    assert client.post("/verwijs", data={**fields, "csrf_token": csrf(client)}).status_code == 403
    token = _signed_in(api)
    assert client.post("/verwijs", data=fields).status_code == 403
    assert client.post("/verwijs", data={**fields, "csrf_token": "forged.token"}).status_code == 403
    refused = client.post("/verwijs", data={**fields, "csrf_token": csrf(TestClient(client.app))})
    assert refused.status_code == 403 and "Het formulier is verlopen" in refused.text
    # Input the referrals API refuses is a Dutch page that makes nothing.
    for bad in ({"service_id": "geen-id"}, {"domain": "geen_domein"}, {"urgency": "morgen"},
                {"service_id": "00000000-0000-0000-0000-000000000000"}):
        answer = client.post("/verwijs", data={**fields, "csrf_token": token, **bad})
        assert answer.status_code == 422 and "De verwijzing is niet gemaakt" in answer.text
    made = client.get("/api/v1/referrals", headers=api.headers("practice")).json()
    assert made["items"] == []


def test_the_handout_is_a_printable_page_in_plain_dutch(demo_client: TestClient) -> None:
    response = demo_client.get(f"/diensten/{DEBT['service']['id']}/folder")
    assert response.status_code == 200
    text = text_of(response.text)
    for heading in ("Hoe komt u hier?", "Wie helpt u?", "Waar en wanneer?", "Wat neemt u mee?", "Wat kost het?"):
        assert heading in text
    assert DEBT["service"]["name"] in text and DEBT["public_phone"] in text
    assert "U kunt zelf bellen of langsgaan" in text  # vrij toegankelijk
    # The note the practice may type is in no form: the browser never sends it.
    assert re.search(r"<textarea[^>]*>", response.text) and "<form" not in response.text.split('class="handout"')[1]
    # With the patient's postcode: the location nearest to it and the contact the result card names.
    card = card_of(demo_client.get(DEBT_SEARCH).text, DEBT["service"]["id"])
    near = text_of(demo_client.get(f"/diensten/{DEBT['service']['id']}/folder?postcode=4331AB").text)
    address = re.search(r"Adres</dt><dd>([^<]+)</dd>", card).group(1)  # type: ignore[union-attr]
    assert unescape(address).split(", ")[0] in near
    assert f"U spreekt met {contact_shown(card)['name']}" in near
    assert demo_client.get("/diensten/00000000-0000-0000-0000-000000000000/folder").status_code == 404
    assert demo_client.get("/diensten/geen-id/folder").status_code == 404


def test_static_files_and_offline_api_docs_are_served_here(demo_client: TestClient) -> None:
    css = demo_client.get("/static/wijkkaart.css")
    assert css.status_code == 200 and "@media print" in css.text
    for path in ("/docs", "/redoc"):
        html = demo_client.get(path).text
        assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
        assert assets and all(asset.startswith("/docs-assets/") for asset in assets)
        for asset in assets:
            served = demo_client.get(asset)
            assert served.status_code == 200 and b"cdn.redoc.ly" not in served.content
        assert "googleapis" not in html and "cdn." not in html


def test_dutch_formats() -> None:
    hours = [{"weekday": d, "opens": "09:00:00", "closes": "12:30:00"} for d in range(5)]
    hours += [{"weekday": d, "opens": "13:30:00", "closes": "17:00:00"} for d in range(5)]
    assert dutch.week_hours(hours) == ["ma t/m vr 9:00–12:30, 13:30–17:00"]
    assert dutch.week_hours([{"weekday": 5, "opens": "10:00", "closes": "12:00"},
                             {"weekday": 6, "opens": "10:00", "closes": "12:00"}]) == ["za en zo 10:00–12:00"]
    assert dutch.waiting(21) == "±3 weken" and dutch.waiting(5) == "±5 dagen" and dutch.waiting(None) is None
    assert dutch.short_date("2026-11-12") == "12 nov"
    assert dutch.long_date("2026-09-20T09:00:00+00:00") == "20 september 2026"
    assert dutch.waiting_is_stale("2026-09-01", date(2026, 12, 7)) and not dutch.waiting_is_stale("2026-09-15", date(2026, 12, 7))
    location = {"opening_hours": hours, "exceptions": [
        {"date": "2026-12-25", "opens": None, "closes": None, "note": "Eerste Kerstdag"},
        {"date": "2026-12-24", "opens": "09:00:00", "closes": "12:00:00", "note": None},
        {"date": "2027-01-01", "opens": None, "closes": None, "note": "Nieuwjaarsdag"},
    ]}
    assert dutch.coming_exceptions(location, date(2026, 12, 17)) == [
        "do 24 dec open 9:00–12:00", "vr 25 dec gesloten (Eerste Kerstdag)",
    ]
    assert dutch.day_hours(location, date(2026, 12, 25)) == "gesloten"
    assert dutch.day_hours(location, date(2026, 12, 21)) == "9:00–12:30, 13:30–17:00"
