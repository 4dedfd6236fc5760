"""The schema exists only through Alembic: up, down, no drift, and refusal when behind."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from app.db import SchemaBehind, alembic_config, make_engine
from app.dialect.fulltext import include_in_autogenerate
from app.main import create_app
from app.models import metadata


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
    command.upgrade(alembic_config(url), "0001")
    engine = make_engine(url)
    try:
        with pytest.raises(SchemaBehind, match="wijkkaart db upgrade"), TestClient(create_app(engine)):
            pass
    finally:
        engine.dispose()
