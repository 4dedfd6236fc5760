"""The schema exists only through Alembic: up, down, no drift, and refusal when behind. The
migrations from the baseline on (migrations/versions), and the legacy chain the baseline replaced
(migrations/legacy/versions), which still takes older databases up and reverts below the
baseline; tests/test_migration_baseline.py compares the two."""

from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import app as cli
from app.clients.models import ApiClient
from app.contacts.models import Contact
from app.db import LEGACY_HEAD, SchemaBehind, alembic_config, make_engine, upgrade_schema, utcnow
from app.dialect.fulltext import include_in_autogenerate
from app.main import create_app
from app.models import metadata
from app.monitoring.models import SearchTally
from app.referrals.models import Referral, ReferralDomain, ReferralEvent
from app.reports.models import EntryReport
from app.settings import get_settings
from tests.support.factories import make_key


def test_upgrade_downgrade_upgrade(backend) -> None:
    url = backend.empty_url()
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        command.upgrade(config, "head")
        tables = set(inspect(engine).get_table_names())
        assert {"service", "contact", "change_log", "front_door", "area", "postcode4"} <= tables
        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        assert set(inspect(engine).get_table_names()) == tables
    finally:
        engine.dispose()


def test_models_and_migrations_do_not_drift(engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_in_autogenerate})
        assert compare_metadata(context, metadata) == []


def test_reference_data_comes_with_the_schema(engine) -> None:
    with engine.connect() as connection:
        domains = connection.exec_driver_sql("SELECT count(*) FROM need_domain").scalar_one()
    assert domains == 13


def test_service_refuses_a_database_behind_the_code(backend) -> None:
    url = backend.empty_url()
    command.upgrade(alembic_config(url, legacy=True), "0016")  # before the baseline
    engine = make_engine(url)
    try:
        with pytest.raises(SchemaBehind, match="wijkkaart db upgrade"), TestClient(create_app(engine)):
            pass
    finally:
        engine.dispose()


@pytest.mark.parametrize("legacy", [False, True], ids=["baseline", "legacy"])
def test_every_downgrade_step_works_on_the_demo(backend, demo_template, legacy: bool) -> None:
    """Step by step from head to base on a database holding the demo region: each migration's
    downgrade must cope with the rows the newer schema left behind. The legacy chain's too:
    `wijkkaart db downgrade 0016` takes a database at the baseline down through it."""
    url = backend.fresh_url(demo_template)
    config = alembic_config(url, legacy=legacy)
    engine = make_engine(url)
    try:
        steps = [script.revision for script in ScriptDirectory.from_config(config).walk_revisions()]
        for revision in steps:
            with engine.connect() as connection:
                assert MigrationContext.configure(connection).get_current_revision() == revision
            command.downgrade(config, "-1")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade_schema(url)
        assert {"service", "contact"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _cli(monkeypatch, url: str, *args: str) -> None:
    monkeypatch.setenv("WIJKKAART_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, list(args))
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_cli_downgrade_takes_a_relative_step(backend, monkeypatch) -> None:
    """On a database at a legacy revision, a relative step is the legacy chain's."""
    url = backend.empty_url()
    command.upgrade(alembic_config(url, legacy=True), "0002")
    _cli(monkeypatch, url, "db", "downgrade", "-1")
    assert _revision(url) == "0001"


def test_cli_downgrade_below_the_baseline_and_up_again(backend, monkeypatch) -> None:
    """From the baseline to a legacy revision by the legacy chain's downgrades, and back up."""
    url = backend.empty_url()
    upgrade_schema(url)
    _cli(monkeypatch, url, "db", "downgrade", "0015")
    assert _revision(url) == "0015"
    engine = make_engine(url)
    try:
        assert "referral" not in inspect(engine).get_table_names()  # made by 0016
        assert "contact" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    _cli(monkeypatch, url, "db", "upgrade")
    assert _revision(url) == ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def test_referrals_migration_keeps_the_catalogue_with_data_down_and_up(backend, demo_template) -> None:
    """Legacy 0016 on a database with a catalogue, referrals, reports and search counters: down to
    0015 drops its tables and column and leaves the contacts; up again brings them back empty."""
    url = backend.fresh_url(demo_template)
    config = alembic_config(url, legacy=True)
    engine = make_engine(url)
    ours = {"referral", "referral_domain", "referral_event", "entry_report", "entry_report_gemeente", "search_tally"}
    try:
        with Session(engine) as session, session.begin():
            contact = session.exec(select(Contact).order_by(Contact.name)).first()
            client_key = make_key(session, "Praktijk Migratie", "practice")
            assert client_key
            client = session.exec(select(ApiClient).where(ApiClient.name == "Praktijk Migratie")).one()
            referral = Referral(code="WK-0000-0000-000", practice_client_id=client.id, service_id=contact.service_id,
                                month="2026-12", urgency="normaal", status="verstuurd", acknowledge_by=utcnow())
            session.add(referral)
            session.flush()
            session.add(ReferralDomain(referral_id=referral.id, domain_code="financien"))
            session.add(ReferralEvent(referral_id=referral.id, practice_client_id=client.id, status="verstuurd"))
            session.add(EntryReport(entity_type="contact", entity_id=contact.id, kind="anders", status="open",
                                    reporter_client_id=client.id))
            session.add(SearchTally(day=utcnow().date(), gemeente_code="GM0687", dimension="all", value="", searches=3))
            contact.unreachable_reported_at = utcnow()
            session.add(contact)
            contacts = len(session.exec(select(Contact.id)).all())
        command.downgrade(config, "0015")
        tables = set(inspect(engine).get_table_names())
        assert not ours & tables and "contact" in tables
        assert "unreachable_reported_at" not in {c["name"] for c in inspect(engine).get_columns("contact")}
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM contact").scalar_one() == contacts
        command.upgrade(config, "head")
        assert ours <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM referral").scalar_one() == 0
            assert connection.exec_driver_sql(
                "SELECT count(*) FROM contact WHERE unreachable_reported_at IS NULL").scalar_one() == contacts
    finally:
        engine.dispose()


def _triggers_and_functions(engine: Engine) -> set[tuple[str, str]]:
    """Every trigger's (and on PostgreSQL every trigger function's) name and definition."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return {tuple(row) for row in connection.exec_driver_sql(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
                "UNION SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace")}
        return {tuple(row) for row in connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}


def _index_tables(engine: Engine) -> dict[str, set[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {table: {tuple(row) for row in connection.exec_driver_sql(f"SELECT * FROM {table}")}
                for table in INDEX_TABLES}


INDEX_TABLES = ("service_open_location", "service_anywhere", "service_area_domain", "service_area_document", "service_point")


def test_the_read_model_migration_drops_the_ranking_tables_and_its_downgrade_fills_them(backend, demo_template) -> None:
    """Legacy 0018 on the demo: at head the five tables are gone; down, each is made and
    filled again as its migration made it (service_point: every live location of each
    service), without the triggers 0017 dropped."""
    url = backend.fresh_url(demo_template)
    config = alembic_config(url, legacy=True)
    engine = make_engine(url)
    try:
        assert not set(INDEX_TABLES) & set(inspect(engine).get_table_names())
        command.downgrade(config, "0017")
        rows = _index_tables(engine)
        assert rows["service_anywhere"] and rows["service_area_domain"] and rows["service_area_document"]
        with engine.connect() as connection:
            points = {tuple(row) for row in connection.exec_driver_sql(
                "SELECT sl.service_id, l.id, l.lat, l.lon FROM service_location sl JOIN location l "
                "ON l.id = sl.location_id WHERE l.deleted_at IS NULL")}
        assert rows["service_point"] == points
        assert {name for name, _ in _triggers_and_functions(engine)} == (
            set() if engine.dialect.name == "postgresql"
            else {"service_search_stems_ai", "service_search_stems_ad", "service_search_stems_au"}
        )
        command.upgrade(config, LEGACY_HEAD)
        assert not set(INDEX_TABLES) & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_index_migration_drops_the_tables_triggers_and_keeps_their_rows(backend, demo_template) -> None:
    """Legacy 0017 on the demo: up, the five tables' triggers and functions go and their rows stay;
    down, the triggers come back as 0016 had them, rows unchanged."""
    url = backend.fresh_url(demo_template)
    config = alembic_config(url, legacy=True)
    engine = make_engine(url)
    try:
        command.downgrade(config, "0016")
        made_by_0016, rows = _triggers_and_functions(engine), _index_tables(engine)
        assert rows["service_point"] and rows["service_area_document"] and rows["service_anywhere"]
        assert {name for name, _ in made_by_0016} >= {"service_point_refresh_location", "location_point_update"} \
            if engine.dialect.name == "postgresql" else {"location_point_update", "service_area_anywhere_insert"}
        command.upgrade(config, "0017")
        kept = _triggers_and_functions(engine)
        # What is left: SQLite's FTS5 index follows its stems table (0006); PostgreSQL keeps none.
        assert {name for name, _ in kept} == (
            set() if engine.dialect.name == "postgresql"
            else {"service_search_stems_ai", "service_search_stems_ad", "service_search_stems_au"}
        )
        assert _index_tables(engine) == rows
        command.downgrade(config, "0016")
        assert _triggers_and_functions(engine) == made_by_0016 and _index_tables(engine) == rows
    finally:
        engine.dispose()
