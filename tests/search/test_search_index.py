"""The search index (app/search/index/): whatever writes the catalogue, the index it keeps
equals the index rebuilt from the catalogue; `wijkkaart db upgrade` repairs one that is
stale; and the one text matcher finds the same services through the search, HSDS and FHIR."""

import uuid

import pytest
from sqlalchemy import delete, update
from sqlmodel import Session

from app.dialect import fulltext
from app.search.index import documents, writer
from app.search.models import SearchCard
from tests.support.factories import (
    GEMEENTE,
    CatalogueWrites,
    assert_index_as_rebuilt,
    make_contact,
    make_organisation,
    make_place,
    make_region,
    make_service,
)


def test_after_every_kind_of_write_the_index_equals_a_rebuild(session: Session) -> None:
    catalogue = CatalogueWrites(session)
    assert_index_as_rebuilt(session)
    for write in catalogue.writes:
        write()
        assert_index_as_rebuilt(session)


def test_db_upgrade_repairs_a_stale_index(session: Session) -> None:
    """What the index lacks or holds wrongly (data that came another way, an older layout)
    bring_up_to_date writes, leaving it as a rebuild makes it."""
    make_region(session)
    organisation = make_organisation(session)
    near = make_place(session, "Dichtbij", 51.50)
    helps = make_service(session, organisation, name="Schuldhulp", areas=[GEMEENTE], location_ids=[near])
    anywhere = make_service(session, organisation, name="Hulplijn")
    make_contact(session, helps)
    session.flush()
    session.execute(delete(SearchCard).where(SearchCard.entity_id == helps))
    dialect_name = session.get_bind().dialect.name
    service_id, _ = fulltext.search_stems(dialect_name)
    session.execute(update(service_id.table).values({fulltext.search_name_stems(dialect_name): None}))
    fulltext.delete_search_documents(session, [anywhere])
    written = writer.bring_up_to_date(session)
    assert written == {"cards": 1, "documents": 2}
    assert_index_as_rebuilt(session)
    assert writer.bring_up_to_date(session) == {"cards": 0, "documents": 0}


def test_documents_are_refreshed_for_more_services_than_a_statement_may_bind(session: Session) -> None:
    """After a migration every service's document is written anew: on PostgreSQL more than
    65,535 ids in one statement are refused, so they go in chunks."""
    make_region(session)
    kept = make_service(session, make_organisation(session), name="Schuldhulp")
    session.flush()
    dialect_name = session.get_bind().dialect.name
    service_id, _ = fulltext.search_stems(dialect_name)
    session.execute(update(service_id.table).values({fulltext.search_name_stems(dialect_name): None}))
    documents.refresh(session, [kept, *(uuid.uuid4() for _ in range(70_000))])
    assert writer.bring_up_to_date(session)["documents"] == 0
    assert_index_as_rebuilt(session)


# --- one matcher ------------------------------------------------------------------------

WORDS = {
    "SCHULDEN": {"Schuldhulpverlening Proefstad"},  # case
    "schuldhulpverlening": {"Schuldhulpverlening Proefstad"},
    "Taalcafé": {"Taalcafe De Brug"},  # accents, either way
    "taalcafe": {"Taalcafe De Brug"},
    "huurachterstand": {"Hulp bij huur en achterstand"},  # a compound split into words of the name
    "uitkering": {"Bijstandsuitkering aanvragen"},  # a long word found inside a compound of the name
}


@pytest.mark.parametrize("q", WORDS)
def test_the_search_hsds_and_fhir_find_the_same_services_for_a_word(api, q: str) -> None:
    with Session(api.engine) as session, session.begin():
        make_region(session)
        organisation = make_organisation(session, name="Stichting Voorbeeld")
        for name in ("Schuldhulpverlening Proefstad", "Taalcafe De Brug", "Hulp bij huur en achterstand",
                     "Bijstandsuitkering aanvragen", "Buurthuis"):
            make_service(session, organisation, name=name, areas=[GEMEENTE], need_domains=["tijdsbesteding"])
    client, ours = api.client, str(organisation)
    searched = client.get("/api/v1/search", params={"postcode": "9901", "q": q, "limit": 100}).json()
    found = {item["service"]["name"] for item in searched["items"]
             if searched.get("fallback") is None and item["service"]["organisation"]["id"] == ours}
    hsds = client.get("/hsds/services", params={"search": q, "organization_id": ours, "per_page": 100}).json()["contents"]
    fhir = client.get("/fhir/HealthcareService", params={"name": q, "organization": ours, "_count": 100}).json()
    in_fhir = {entry["resource"]["name"] for entry in fhir.get("entry", [])}
    assert found == {item["name"] for item in hsds} == in_fhir == WORDS[q]
