"""The suite's own PostgreSQL copies (tests/conftest.py, tests/support/pg_recycling.py): a copy a
test is done with comes back exactly as a new copy of its template, or is dropped."""

from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import make_engine
from tests.support.factories import make_contact, make_organisation, make_region, make_service


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _contents(url: str) -> dict[str, Any]:
    """Every row of every table, and the position of every sequence."""
    with psycopg.connect(_conninfo(url)) as connection:
        relations = connection.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')"
        ).fetchall()
        contents: dict[str, Any] = {}
        for name, kind in relations:
            if kind == "r":
                rows = connection.execute(sql.SQL("SELECT t::text FROM {} AS t").format(sql.Identifier(name))).fetchall()
                contents[name] = sorted(row[0] for row in rows)
            else:
                contents[name] = connection.execute(
                    sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(name))
                ).fetchone()
        return contents


def test_a_recycled_copy_is_its_template_again(backend, demo_template) -> None:
    if backend.name != "postgresql":
        pytest.skip("a SQLite copy is a file of its own, never recycled")
    template = _contents(demo_template)
    url = backend.fresh_url(demo_template)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        make_region(session)
        organisation = make_organisation(session, name="Stichting Hergebruik")
        make_contact(session, make_service(session, organisation))
    engine.dispose()
    changed = _contents(url)
    assert changed != template
    assert len(changed["change_log"]) > len(template["change_log"])

    backend.release(url)
    backend.wait_for_recycling()
    assert _contents(url) == template  # the same database, not dropped: its template's rows again


def test_a_copy_whose_schema_a_test_changed_is_dropped(backend) -> None:
    if backend.name != "postgresql":
        pytest.skip("a SQLite copy is a file of its own, never recycled")
    url = backend.fresh_url()
    with psycopg.connect(_conninfo(url), autocommit=True) as connection:
        connection.execute("CREATE INDEX probe_service_name ON service (name)")
    backend.release(url)
    backend.wait_for_recycling()
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(_conninfo(url)).close()
