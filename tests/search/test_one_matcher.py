"""One text matcher: a word finds the same organisations, locations and practitioners through
HSDS and FHIR as it finds services (app/search/text.py: folding, stems, compound parts,
words inside compounds), on both databases. The services' own cross-API test is in
tests/search/test_search_index.py."""

import uuid
from typing import Any

import pytest
from sqlmodel import Session, select

from app.dialect import one_of
from app.locations.models import Location
from app.locations.schemas import LocationWrite
from app.locations.service import save_location
from app.organisations.models import Organisation
from app.search.text import entities_matching, text_matcher
from tests.support.factories import ACTOR, GEMEENTE, make_contact, make_organisation, make_region, make_service

NAMES = ("Schuldhulpverlening Proefstad", "Taalcafé De Brug", "Hulp bij huur en achterstand",
         "Bijstandsuitkering aanvragen", "Buurthuis")
WORDS = {
    "SCHULDEN": {"Schuldhulpverlening Proefstad"},  # case, and a stem starting a word
    "schuldhulpverlening": {"Schuldhulpverlening Proefstad"},
    "TAALCAFE": {"Taalcafé De Brug"},  # accents, either way
    "taalcafé": {"Taalcafé De Brug"},
    "huurachterstand": {"Hulp bij huur en achterstand"},  # a compound split into words of the name
    "uitkering": {"Bijstandsuitkering aanvragen"},  # a long word found inside a compound of the name
    "buurt": {"Buurthuis"},
    "huis": set(),  # a short word is no word inside a compound ("Buurthuis")
}


def _catalogue(api: Any) -> dict[str, set[str]]:
    """NAMES as services, organisations, locations and contacts; the ids of each kind made."""
    made: dict[str, set[str]] = {"services": set(), "organisations": set(), "locations": set(), "contacts": set()}
    with Session(api.engine) as session, session.begin():
        make_region(session)
        provider = make_organisation(session, name="Stichting Neutraal")
        for name in NAMES:
            organisation = make_organisation(session, name=name)
            service = make_service(session, provider, name=name, areas=[GEMEENTE], need_domains=["tijdsbesteding"])
            location, _ = save_location(session, LocationWrite(name=name, city="Proefstad", lat=51.5, lon=3.61), ACTOR)
            made["organisations"].add(str(organisation))
            made["services"].add(str(service))
            made["locations"].add(str(location.id))
            made["contacts"].add(str(make_contact(session, service, name=name)))
    return made


def _fhir_names(client: Any, resource_type: str, made: set[str], **params: str) -> set[str]:
    bundle = client.get(f"/fhir/{resource_type}", params={**params, "_count": 100})
    assert bundle.status_code == 200, bundle.text
    resources = [entry["resource"] for entry in bundle.json().get("entry", [])]
    return {_name(resource) for resource in resources if resource["id"] in made}


def _name(resource: dict[str, Any]) -> str:
    name = resource["name"]
    return name[0]["text"] if isinstance(name, list) else name


@pytest.mark.parametrize("q", WORDS)
def test_a_word_finds_the_same_entries_whichever_api_asks(api, q: str) -> None:
    made, client = _catalogue(api), api.client
    services = _fhir_names(client, "HealthcareService", made["services"], name=q)
    organisations = _fhir_names(client, "Organization", made["organisations"], name=q)
    hsds = client.get("/hsds/organizations", params={"search": q, "per_page": 100}).json()["contents"]
    in_hsds = {item["name"] for item in hsds if item["id"] in made["organisations"]}
    locations = _fhir_names(client, "Location", made["locations"], name=q)
    practitioners = _fhir_names(client, "Practitioner", made["contacts"], name=q)
    assert services == organisations == in_hsds == locations == practitioners == WORDS[q]


QUERIES = (*WORDS, "wijkteam", "dorpshuis", "GGZ", "bijstand", "zorg", "cooperatie", "verzonnen", "oost souburg",
           "middelburg", "loket", "inloophuis", "teams", "steunpunt", "kantoor vlissingen", "geldzorgen")


@pytest.mark.parametrize("model", [Organisation, Location])
def test_the_database_narrows_to_what_the_matcher_finds_in_every_row(api, model: Any) -> None:
    """entities_matching narrows in SQL, then tests in Python: it finds what the matcher finds
    testing every row's name (the demo region's and NAMES)."""
    _catalogue(api)
    with Session(api.engine) as session:
        rows = session.exec(select(model.id, model.name)).all()
        for q in QUERIES:
            matches = text_matcher(session, q, field="name")
            found = set(session.exec(select(model.id).where(entities_matching(session, q, model.id, [model.name],
                                                                               field="name"))).all())
            assert found == {row_id for row_id, name in rows if matches(name)}, q


def test_a_name_outside_ascii_is_still_a_candidate(api) -> None:
    """A letter that folds to no a-z ("ø") is dropped from the stems, so the word's start is not
    in the folded name: such names are tested in Python whatever the database narrows to."""
    made = _catalogue(api)
    with Session(api.engine) as session, session.begin():
        søren = make_organisation(session, name="Søren Kierkegaard Huis")
    found = _fhir_names(api.client, "Organization", made["organisations"] | {str(søren)}, name="Søren")
    assert found == {"Søren Kierkegaard Huis"}


def test_hsds_organizations_match_the_description_too(api) -> None:
    with Session(api.engine) as session, session.begin():
        make_region(session)
        ours = make_organisation(session, name="Stichting Neutraal", description="Wij bieden schuldhulpverlening.")
    found = api.client.get("/hsds/organizations", params={"search": "schulden", "per_page": 100}).json()["contents"]
    assert str(ours) in {item["id"] for item in found}


def test_fhir_modifiers_keep_their_meaning(api) -> None:
    made = _catalogue(api)

    def names(**params: str) -> set[str]:
        return _fhir_names(api.client, "Organization", made["organisations"], **params)

    assert names(**{"name:exact": "Taalcafé De Brug"}) == {"Taalcafé De Brug"}
    assert names(**{"name:exact": "taalcafe de brug"}) == set()  # exact: case and accents count
    assert names(**{"name:contains": "UURTHU"}) == {"Buurthuis"}  # anywhere, without case
    assert names(name="huis") == set()  # the matcher: not inside "Buurthuis"
    assert names(name="taalcafe,buurt") == {"Taalcafé De Brug", "Buurthuis"}  # a comma: any of them
    assert names(name="taalcafe brug") == {"Taalcafé De Brug"}  # every word must match
    assert names(name="taalcafe huur") == set()


def test_location_city_is_matched_as_a_name_is(api) -> None:
    made = _catalogue(api)
    found = _fhir_names(api.client, "Location", made["locations"], **{"address-city": "PROEFSTAD"})
    assert found == set(NAMES)


def test_a_search_without_a_searchable_word_is_refused_alike(api) -> None:
    """Each API refuses in its own way (FHIR 400 with an OperationOutcome, HSDS a 422 problem), for the same reason."""
    for path, param, status in (("/fhir/Organization", "name", 400), ("/fhir/Practitioner", "name", 400),
                                ("/fhir/Location", "name", 400), ("/hsds/organizations", "search", 422),
                                ("/hsds/services", "search", 422)):
        response = api.client.get(path, params={param: "de"})  # a stop word only
        assert response.status_code == status, (path, response.text)
        assert "holds no searchable word" in response.text, path


def test_any_number_of_matches_is_one_parameter(session: Session) -> None:
    """one_of binds its values as one parameter: SQLite refuses more than 32,766 in a statement."""
    make_region(session)
    ours = make_organisation(session, name="Stichting Neutraal")
    wanted = [ours, *(uuid.uuid4() for _ in range(40_000))]
    clause = one_of(session.get_bind().dialect, Organisation.id, wanted)
    assert session.exec(select(Organisation.id).where(clause)).all() == [ours]
