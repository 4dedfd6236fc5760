"""The baseline migration (migrations/versions/0018_baseline.py) and the legacy chain it replaced
(migrations/legacy/versions): both make the same schema with the same reference rows, and a
database the legacy chain made, at its head or older, upgrades to head through `wijkkaart db
upgrade` with its rows kept and its search index complete."""

import re
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import ClauseElement, Engine, inspect
from sqlalchemy.types import TypeEngine
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import app as cli
from app.db import LEGACY_HEAD, alembic_config, current_revisions, make_engine
from app.demo import load_demo
from app.dialect.fulltext import is_search_index_table
from app.main import create_app
from app.settings import get_settings
from tests.support.factories import assert_index_as_rebuilt
from tests.support.pg_recycling import SCHEMA_ITEMS

REFERENCE_TABLES = ("need_domain", "target_group")
# What app/search/index/ writes from the catalogue (the upgrade writes it anew), besides the
# full-text tables (is_search_index_table).
DERIVED_TABLES = {"search_card", "service_open_location", "service_anywhere", "service_area_domain",
                  "service_area_document", "service_point"}


def _normalised(sql: str | None) -> str | None:
    """SQLite's text of a schema object without what does not change it: the layout of its
    whitespace, and quotes around names (ALTER TABLE writes added columns on the line of the
    last one; a table rebuilt by Alembic's batch mode is named in quotes)."""
    return None if sql is None else re.sub(r"\s+", " ", sql.replace('"', "")).strip()


def _plain(value: Any) -> Any:
    """What the inspector returns, with SQL expressions (an index's WHERE) as their text."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, ClauseElement):
        return str(value)
    if isinstance(value, TypeEngine):
        return repr(value)
    return value


def _sorted(items: list[Any]) -> list[str]:
    return sorted(repr(_plain(item)) for item in items)


def _schema(engine: Engine) -> dict[str, Any]:
    """Everything of the schema: per table what the inspector reads (columns in order with their
    types, keys, indexes, constraints), and the database's own catalogue (SQLite: every object's
    SQL in sqlite_master, triggers included; PostgreSQL: columns, constraints, indexes, triggers,
    functions and sequences, as tests/support/pg_recycling.py digests them)."""
    inspector = inspect(engine)
    tables = {
        table: {
            "columns": _plain(inspector.get_columns(table)),  # in order
            "primary_key": _plain(inspector.get_pk_constraint(table)),
            "foreign_keys": _sorted(inspector.get_foreign_keys(table)),
            "indexes": _sorted(inspector.get_indexes(table)),
            "unique": _sorted(inspector.get_unique_constraints(table)),
            "checks": _sorted(inspector.get_check_constraints(table)),
        }
        for table in inspector.get_table_names()
    }
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            catalogue = {row[0] for row in connection.exec_driver_sql(SCHEMA_ITEMS.replace("%", "%%"))}
        else:
            catalogue = {(kind, name, table, _normalised(sql)) for kind, name, table, sql in connection.exec_driver_sql(
                "SELECT type, name, tbl_name, sql FROM sqlite_master")}
        reference = {table: connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY code").all()
                     for table in REFERENCE_TABLES}
        revision = current_revisions(connection)
    return {"tables": tables, "catalogue": catalogue, "reference rows": reference, "revision": revision}


def test_the_baseline_makes_what_the_legacy_migrations_make(backend) -> None:
    baseline, legacy = backend.empty_url(), backend.empty_url()
    command.upgrade(alembic_config(baseline), LEGACY_HEAD)
    command.upgrade(alembic_config(legacy, legacy=True), "head")
    made: dict[str, dict[str, Any]] = {}
    for name, url in (("baseline", baseline), ("legacy", legacy)):
        engine = make_engine(url)
        try:
            made[name] = _schema(engine)
        finally:
            engine.dispose()
    by_baseline, by_legacy = made["baseline"], made["legacy"]
    assert by_baseline["revision"] == by_legacy["revision"] == {LEGACY_HEAD}
    assert len(by_baseline["reference rows"]["need_domain"]) == 13
    assert by_baseline["reference rows"] == by_legacy["reference rows"]
    assert by_baseline["catalogue"] ^ by_legacy["catalogue"] == set()
    assert set(by_baseline["tables"]) == set(by_legacy["tables"])
    for table, described in by_baseline["tables"].items():
        assert described == by_legacy["tables"][table], table


def test_the_baseline_drops_all_it_made(backend) -> None:
    url = backend.empty_url()
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        command.upgrade(config, LEGACY_HEAD)
        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                left = connection.exec_driver_sql(
                    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                    "AND relname <> 'alembic_version' AND relname <> 'alembic_version_pkc'").scalars().all()
            else:
                left = connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE tbl_name NOT IN ('alembic_version', 'sqlite_sequence')"
                ).scalars().all()
        assert left == []
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def legacy_demo_template(backend) -> str:
    """The demo region in a database the legacy chain made, only ever copied."""

    def build(_: object) -> str:
        url = backend.empty_url()
        command.upgrade(alembic_config(url, legacy=True), "head")
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            load_demo(session)
        engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
        return url

    return backend.kept("legacy_demo_template", build)


def _catalogue_rows(engine: Engine, columns: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Every row (as text, sorted) of every table but the search index's and alembic's, in the
    given columns of each table (default: all the table has)."""
    inspector = inspect(engine)
    if columns is None:
        columns = {table: [column["name"] for column in inspector.get_columns(table)]
                   for table in inspector.get_table_names()
                   if table != "alembic_version" and table not in DERIVED_TABLES and not is_search_index_table(table)}
    with engine.connect() as connection:
        return {table: sorted(repr(tuple(row)) for row in connection.exec_driver_sql(
            f"SELECT {', '.join(names)} FROM {table}")) for table, names in columns.items()}


def _db_upgrade(monkeypatch: pytest.MonkeyPatch, url: str) -> str:
    monkeypatch.setenv("WIJKKAART_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["db", "upgrade"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("revision", [LEGACY_HEAD, "0017", "0002"])
def test_a_database_made_before_the_baseline_upgrades_with_its_rows(
    backend, legacy_demo_template: str, demo_client: TestClient, revision: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo in a database the legacy chain made, at its head (the baseline's revision), at the
    revision before it and at the oldest that holds a catalogue (0002: before the search index):
    `wijkkaart db upgrade` brings it to head, every row it held is still there, the search index
    is as a rebuild makes it, and a search finds what it finds in the demo the baseline made."""
    url = backend.fresh_url(legacy_demo_template)
    if revision != LEGACY_HEAD:
        command.downgrade(alembic_config(url, legacy=True), revision)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert current_revisions(connection) == {revision}
        before = _catalogue_rows(engine)
        assert len(before["service"]) > 10 and before["contact"]
        columns = {table: [column["name"] for column in inspect(engine).get_columns(table)] for table in before}

        output = _db_upgrade(monkeypatch, url)

        assert "Search index brought up to date" in output
        heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
        with engine.connect() as connection:
            assert current_revisions(connection) == heads
        assert _catalogue_rows(engine, columns) == before
        with Session(engine) as session:
            assert_index_as_rebuilt(session)
        search = {"postcode": "4331AB", "q": "schulden"}
        with TestClient(create_app(engine)) as client:  # which refuses a database behind the code
            response = client.get("/api/v1/search", params=search)
        assert response.status_code == 200, response.text
        found = [item["service"]["name"] for item in response.json()["items"]]
        assert found[0].startswith("Schuldhulpverlening Walcheren")
        assert found == [item["service"]["name"] for item in demo_client.get("/api/v1/search", params=search).json()["items"]]
    finally:
        engine.dispose()
