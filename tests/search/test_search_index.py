"""The search index (app/search/index/): whatever writes the catalogue, the index it keeps
equals the index rebuilt from the catalogue; `wijkkaart db upgrade` repairs one that is
stale; and the one text matcher finds the same services through the search, HSDS and FHIR."""

import uuid
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlmodel import Session

from app.contacts.service import erase_contact
from app.dialect import fulltext
from app.imports.service import json_parts, run_import
from app.locations.schemas import LocationWrite, OpeningExceptionIn, OpeningInterval
from app.locations.service import save_location
from app.maintenance import service as maintenance
from app.maintenance.kinds import LOCATION, SERVICE
from app.search.index import documents, writer
from app.search.models import SearchCard, ServiceAnywhere, ServiceAreaDocument, ServicePoint
from tests.support.factories import (
    ACTOR,
    BUURT,
    GEMEENTE,
    WIJK,
    assert_index_as_rebuilt,
    index_rows,
    make_contact,
    make_organisation,
    make_region,
    make_service,
)


def _place(session: Session, name: str, lat: float, location_id: uuid.UUID | None = None, **fields: Any) -> uuid.UUID:
    location, _ = save_location(session, LocationWrite(id=location_id, name=name, lat=lat, lon=3.61, **fields), ACTOR)
    return location.id


def test_after_every_kind_of_write_the_index_equals_a_rebuild(session: Session) -> None:
    make_region(session)
    organisation = make_organisation(session, name="Stichting Kompas")
    near = _place(session, "Dichtbij", 51.50, opening_hours=[OpeningInterval(weekday=0, opens=time(9), closes=time(12))])
    far = _place(session, "Ver weg", 51.60)
    assert_index_as_rebuilt(session)
    helps = make_service(session, organisation, name="Schuldhulp", areas=[GEMEENTE], location_ids=[near])
    anywhere = make_service(session, organisation, name="Telefonische hulplijn", need_domains=["sociaal_netwerk"])
    assert_index_as_rebuilt(session)
    assert index_rows(session, "service_anywhere") == {(anywhere,)}
    writes = [
        # a service's areas, need domains, location links and words
        lambda: make_service(session, organisation, id=helps, name="Schuldhulp", areas=[WIJK, BUURT],
                             need_domains=["financien", "huisvesting"], location_ids=[near, far]),
        lambda: make_service(session, organisation, id=helps, name="Geldzaken op orde", description="Budgetcoach",
                             areas=[], location_ids=[far]),
        lambda: make_service(session, organisation, id=anywhere, name="Hulplijn", location_ids=[near]),
        # a location moved, its hours changed, another unlinked and deleted
        lambda: _place(session, "Dichtbij", 51.70, near, exceptions=[OpeningExceptionIn(date=date(2026, 12, 25))]),
        lambda: make_service(session, organisation, id=helps, name="Geldzaken op orde", areas=[GEMEENTE]),
        lambda: maintenance.delete(session, LOCATION, far, None, ACTOR),
        # contacts: made, changed, erased
        lambda: make_contact(session, helps),
        lambda: make_contact(session, helps, id=make_contact(session, helps), role="schuldhulpverlener"),
        lambda: erase_contact(session, make_contact(session, helps, name="Wim Weg"), ACTOR),
        # the organisation's name is in its services' cards and documents
        lambda: make_organisation(session, id=organisation, name="Stichting Zonnebloem"),
        # a deleted service
        lambda: maintenance.delete(session, SERVICE, anywhere, None, ACTOR),
        # the bulk import: a new service and one changed
        lambda: run_import(session, json_parts({"services": [
            {"organisation_id": str(organisation), "name": "Taalcafé", "need_domains": ["werk_opleiding"],
             "access_route": "vrij_toegankelijk", "areas": [BUURT], "location_ids": [str(near)]},
            {"id": str(helps), "organisation_id": str(organisation), "name": "Geldzaken", "need_domains": ["financien"],
             "access_route": "vrij_toegankelijk", "areas": [], "location_ids": []},
        ]}), ACTOR),
    ]
    for write in writes:
        write()
        assert_index_as_rebuilt(session)
    assert {(location_id, lat) for _, location_id, lat, _ in index_rows(session, "service_point")} == {(near, 51.70)}


def test_db_upgrade_repairs_a_stale_index(session: Session) -> None:
    """What the index lacks or holds wrongly (data that came another way, an older layout)
    bring_up_to_date writes, leaving it as a rebuild makes it."""
    make_region(session)
    organisation = make_organisation(session)
    near = _place(session, "Dichtbij", 51.50)
    helps = make_service(session, organisation, name="Schuldhulp", areas=[GEMEENTE], location_ids=[near])
    anywhere = make_service(session, organisation, name="Hulplijn")
    make_contact(session, helps)
    session.flush()
    session.execute(delete(ServiceAnywhere))
    session.execute(delete(ServiceAreaDocument))
    session.execute(update(ServicePoint).values(lat=0.0))
    session.execute(delete(SearchCard).where(SearchCard.entity_id == helps))
    dialect_name = session.get_bind().dialect.name
    service_id, _ = fulltext.search_stems(dialect_name)
    session.execute(update(service_id.table).values({fulltext.search_name_stems(dialect_name): None}))
    fulltext.delete_search_documents(session, [anywhere])
    written = writer.bring_up_to_date(session)
    assert written == {"cards": 1, "documents": 2, "rows": 1 + 1 + 2}  # anywhere; the area's document; a point
    assert_index_as_rebuilt(session)
    assert writer.bring_up_to_date(session) == {"cards": 0, "documents": 0, "rows": 0}


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
