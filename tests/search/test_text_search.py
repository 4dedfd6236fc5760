"""Dutch free-text search: stems, prefixes for compounds, synonyms, and an index that
follows every write. Every database test runs on SQLite and on PostgreSQL with the same
expectations, so both databases return the same services for the same query."""

import uuid

import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from sqlmodel import Session

from app.db import alembic_config, utcnow
from app.errors import InvalidInput
from app.organisations.schemas import OrganisationWrite
from app.organisations.service import save_organisation
from app.search.index import documents
from app.search.text import stem_words, text_matches
from app.services.models import Service
from tests.support.factories import ACTOR, GEMEENTE, make_organisation, make_region, make_service


def matches(session: Session, q: str) -> set[str]:
    found = text_matches(session, q)
    return set(session.scalars(select(Service.name).join(found, found.c.service_id == Service.id)))


def test_stem_words_folds_drops_and_stems() -> None:
    assert stem_words("gezondheid") == ["gezond"]
    assert stem_words("eenzaamheid") == stem_words("eenzaam")
    assert stem_words("Financiën") == ["financien"]
    assert stem_words("Hulp bij de schulden!") == ["hulp", "schuld"]
    assert stem_words("... - / ?") == []


def test_query_stems_match_dutch_compounds(session: Session) -> None:
    make_region(session)
    organisation = make_organisation(session)
    # Domains the query words are no synonyms of, so only the prefix can match.
    make_service(session, organisation, name="Schuldhulpverlening Walcheren", need_domains=["justitie"])
    make_service(session, organisation, name="Inloop Eenzaamheid Proefstad", need_domains=["tijdsbesteding"])
    make_service(session, organisation, name="Mantelzorgondersteuning", need_domains=["tijdsbesteding"])
    assert matches(session, "schulden") == {"Schuldhulpverlening Walcheren"}
    assert matches(session, "eenzaam") == {"Inloop Eenzaamheid Proefstad"}
    assert matches(session, "mantelzorg") == {"Mantelzorgondersteuning"}
    assert matches(session, "mantelzorg inloop") == set(), "every word must match"


def test_a_synonym_finds_the_services_of_its_need_domain(session: Session) -> None:
    make_region(session)
    organisation = make_organisation(session)
    make_service(session, organisation, name="Proefloket", need_domains=["financien"])
    make_service(session, organisation, name="Proefgym", need_domains=["lichamelijke_gezondheid"])
    make_service(session, organisation, name="Proefpraat", need_domains=["geestelijke_gezondheid"])
    assert matches(session, "geldzorgen") == {"Proefloket"}
    # A label of several words matches as a whole: "gezondheid" alone is not enough.
    assert matches(session, "somberheid") == {"Proefpraat"}


def test_an_organisation_rename_reaches_its_services(session: Session) -> None:
    make_region(session)
    organisation = make_organisation(session, name="Stichting Kompas")
    make_service(session, organisation, name="Proefhulp")
    assert matches(session, "zonnebloem") == set()
    save_organisation(session, OrganisationWrite.model_validate(
        {"id": organisation, "name": "Stichting Zonnebloem", "owners": [GEMEENTE]}
    ), ACTOR)
    assert matches(session, "zonnebloem") == {"Proefhulp"}
    assert matches(session, "kompas") == set()


def test_the_index_follows_edits_and_deletions(session: Session) -> None:
    make_region(session)
    organisation = make_organisation(session)
    service_id = make_service(session, organisation, name="Taalcafé")
    assert matches(session, "taalcafe") == {"Taalcafé"}
    make_service(session, organisation, id=service_id, name="Schrijfcafé")
    assert matches(session, "taalcafe") == set()
    assert matches(session, "schrijfcafe") == {"Schrijfcafé"}
    session.get_one(Service, service_id).deleted_at = utcnow()
    documents.refresh(session, [service_id, uuid.uuid4()])
    assert matches(session, "schrijfcafe") == set()


@pytest.mark.parametrize("q", ["", "?!", " --- ", "de het een"])
def test_a_query_without_a_searchable_word_is_invalid(session: Session, q: str) -> None:
    with pytest.raises(InvalidInput) as error:
        text_matches(session, q)
    assert error.value.field == "q"


def test_query_syntax_in_q_is_only_text(session: Session) -> None:
    make_region(session)
    make_service(session, make_organisation(session), name="Schuldhulpverlening Walcheren")
    assert matches(session, '"schuld*" OR (NEAR') == matches(session, "schuld or near") == set()
    assert matches(session, '"schuld*" (') == {"Schuldhulpverlening Walcheren"}


# Derived by hand from seed_data/catalogue.json: name, description and organisation name.
DEMO_EXPECTED = {
    "schuldhulp": {
        "Schuldhulpverlening Walcheren (Wgs)", "Energiefonds Walcheren (tijdelijke energietoeslag)",
        "Budgetcoaching en thuisadministratie", "Online cursus Slim met Geld", "Voedselhulp Denkbeeld",
    },
    "mantelzorg": {
        "Mantelzorgsteunpunt Walcheren", "Respijtzorg en logeeropvang", "Wmo-loket Middelburg",
        "Wmo-loket Veere", "Wmo-loket Vlissingen",
    },
    "dorpscoach wekelijks": {"Dorpscoach Kustdorpen (Domburg, Zoutelande, Westkapelle)", "Boodschappenhulp vrijwilligers Veere"},
    # Both words are synonyms of middelengebruik, whose two services also name them.
    "verslaving alcohol": {"Ambulante verslavingszorg", "Preventiespreekuur middelengebruik jongeren"},
}


@pytest.mark.parametrize("q", DEMO_EXPECTED)
def test_demo_queries_find_what_the_catalogue_says(demo_engine: Engine, q: str) -> None:
    with Session(demo_engine) as session:
        assert matches(session, q) == DEMO_EXPECTED[q]


@pytest.mark.parametrize("q", [
    "schulden", "eenzaam", "mantelzorg", "geldzorgen", "wijkteam", "huiselijk geweld", "Financiën",
    "verslaving", "dakloos", "taalcoach",
])
def test_demo_queries_find_something_ranked(demo_engine: Engine, q: str) -> None:
    """Relevance counts the words of q that start a word of the service's name."""
    with Session(demo_engine) as session:
        found = text_matches(session, q)
        rows = session.execute(select(Service.name, found.c.relevance).join(found, found.c.service_id == Service.id)).all()
    words = stem_words(q)
    assert rows and all(
        relevance == sum(any(stem.startswith(word) for stem in stem_words(name)) for word in words)
        for name, relevance in rows
    )


def test_the_migration_backfills_the_documents_the_app_writes(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        make_region(session)
        organisation = make_organisation(session, name="Stichting Zonnebloem")
        make_service(session, organisation, name="Schuldhulpverlening Walcheren", description="Hulp bij geldzorgen.",
                     need_domains=["financien", "geestelijke_gezondheid"])
        make_service(session, organisation, name="Mantelzorgondersteuning")

    def documents() -> list[tuple[str, str]]:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT service_id, CAST(document AS TEXT) FROM service_search"))
            return sorted((str(service_id), document) for service_id, document in rows)

    written = documents()
    config = alembic_config(engine.url.render_as_string(hide_password=False), legacy=True)  # legacy 0003 backfills them
    command.downgrade(config, "0002")
    command.upgrade(config, "head")
    assert len(written) == 2 and documents() == written
