"""Relevance of the text search: judged queries on the demo region (../shared/relevance and
tests/relevance_queries.csv, each row's rule asserted on SQLite and PostgreSQL), relevance
bands before coverage level, split compounds, why each result ranked, and the fallback to
the nearest related need domain. bench/relevance.py prints precision@3 and MRR over the same rows."""

import csv
from pathlib import Path

import pytest
from sqlmodel import Session

from app.search.schemas import SearchCriteria, SearchPage
from app.search.service import search
from app.search.text import split_compound
from app.visibility import ANONYMOUS
from tests.support.factories import BUURT, GEMEENTE, make_organisation, make_region, make_service

JUDGED = [
    Path(__file__).resolve().parents[3] / "shared" / "relevance" / "demo_queries.csv",
    Path(__file__).with_name("relevance_queries.csv"),
]


def _judged() -> list[dict[str, str]]:
    rows = []
    for path in JUDGED:
        with path.open(encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    return rows


def test_at_least_thirty_judged_queries() -> None:
    assert len({(row["postcode"], row["q"]) for row in _judged()}) >= 30


@pytest.mark.parametrize("row", _judged(), ids=lambda row: f"{row['postcode']}-{row['q']}")
def test_a_judged_service_ranks_within_its_rule(demo_client, row) -> None:
    within = int(row["within_top"])
    body = demo_client.get("/api/v1/search", params={"postcode": row["postcode"], "q": row["q"], "limit": within})
    assert body.status_code == 200, body.text
    names = [item["service"]["name"] for item in body.json()["items"]]
    assert set(names) & set(row["expected_any_of"].split("|")), (row, names)


@pytest.mark.parametrize(("word", "parts"), [
    ("huurachterstand", ("huur", "achterstand")), ("gokverslaving", ("gok", "verslaving")),
    ("opvoedingsproblemen", ("opvoeding", "problemen")), ("angstklachten", ("angst", "klachten")),
    ("verslaving", None), ("eenzaamheid", None), ("depressie", None), ("werkloosheid", None),
])
def test_compounds_split_into_common_dutch_words(word, parts) -> None:
    assert split_compound(word) == parts


def _page(session: Session, **criteria: object) -> SearchPage:
    return SearchPage.model_validate(search(session, SearchCriteria(postcode="9901", **criteria), ANONYMOUS))


def test_a_strong_match_a_level_up_beats_a_weak_one_close_by(session) -> None:
    make_region(session)
    organisation = make_organisation(session)
    weak = make_service(session, organisation, name="Buurtinloop", description="Ook voor vragen over schulden.",
                        areas=[BUURT], need_domains=["tijdsbesteding"])
    strong = make_service(session, organisation, name="Schuldhulp Proefstad", areas=[GEMEENTE])
    page = _page(session, q="schulden")
    assert [(r.service.id, r.match) for r in page.items] == [(strong, "gemeente"), (weak, "buurt")]
    assert [r.why.model_dump() for r in page.items if r.why] == [
        {"relevance": 4, "matches": [{"word": "schulden", "where": "name", "matched": "Schuldhulp"}], "fallback": False},
        {"relevance": 1, "matches": [{"word": "schulden", "where": "description", "matched": "schulden"}],
         "fallback": False},
    ]
    # Within a band, coverage orders: the same name a level closer comes first.
    closer = make_service(session, organisation, name="Schuldhulp Proefbuurt", areas=[BUURT])
    assert [r.service.id for r in _page(session, q="schulden").items] == [closer, strong, weak]
    assert _page(session).items[0].why is None  # without q, no relevance to explain


def test_a_compound_matches_a_service_with_both_parts(session) -> None:
    make_region(session)
    organisation = make_organisation(session)
    both = make_service(session, organisation, name="Inloop", description="Achterstand met de huur? Kom langs.",
                        need_domains=["tijdsbesteding"], areas=[GEMEENTE])
    make_service(session, organisation, name="Huurteam", need_domains=["tijdsbesteding"], areas=[GEMEENTE])
    page = _page(session, q="huurachterstand")
    assert [r.service.id for r in page.items] == [both] and page.fallback is None


def test_no_match_offers_the_nearest_related_need_domain_labelled(session) -> None:
    make_region(session)
    organisation = make_organisation(session)
    food = make_service(session, organisation, name="Voedselpakketten Proefstad", areas=[GEMEENTE],
                        need_domains=["financien", "basale_adl"])
    make_service(session, organisation, name="Bankzitters", description="Samen op een bank in het park.",
                 areas=[GEMEENTE], need_domains=["sociaal_netwerk"])
    debt = make_service(session, organisation, name="Schuldhulp", areas=[GEMEENTE], need_domains=["financien"])
    page = _page(session, q="voedselbank")
    # No service has both parts; of those matching a part, "voedsel" in a name weighs most.
    assert page.fallback is not None and page.fallback.model_dump() == {
        "domain": "financien", "word": "voedselbank", "reason": "compound_part"}
    assert [r.service.id for r in page.items] == [food]
    assert all(r.why and r.why.fallback for r in page.items)
    # A word spelled like a domain's synonym ("schuldenn") stands for that domain.
    typo = _page(session, q="schuldenn")
    assert typo.fallback is not None and typo.fallback.reason == "similar_word"
    assert {r.service.id for r in typo.items} == {food, debt}
    # Nothing related: no results, and no fallback.
    nothing = _page(session, q="xylofoon")
    assert nothing.items == [] and nothing.fallback is None
