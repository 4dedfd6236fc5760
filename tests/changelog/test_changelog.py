"""One change log, appended in the same transaction by every write path."""

import threading
import time
import uuid

import pytest
from sqlmodel import Session, select

from app.changelog.models import ChangeLogEntry
from app.services.models import Service
from app.services.schemas import ServiceWrite
from app.services.service import SERVICE_LOAD, as_write, save_service
from tests.support.factories import ACTOR, make_organisation, make_region, make_service


def _log(session: Session) -> list[ChangeLogEntry]:
    return list(session.exec(select(ChangeLogEntry).order_by(ChangeLogEntry.position)).all())


def _service(session: Session, service_id) -> Service:
    return session.exec(select(Service).where(Service.id == service_id).options(*SERVICE_LOAD)).one()


def test_a_change_to_the_aggregate_bumps_the_service_once_and_logs_one_upsert(session) -> None:
    make_region(session)
    organisation_id = make_organisation(session)
    service_id = make_service(session, organisation_id)
    before = len(_log(session))
    data = as_write(_service(session, service_id)).model_dump() | {
        "eligibility": {"min_age": 18, "max_income_pct_social_minimum": 120},
        "need_domains": ["financien", "huisvesting"],
        "areas": ["WK990101"],
    }
    saved, changed = save_service(session, ServiceWrite.model_validate(data), ACTOR)
    assert changed and saved.version == 2
    entries = _log(session)[before:]
    assert [(e.entity_type, e.entity_id, e.operation, e.version) for e in entries] == [
        ("service", str(service_id), "upsert", 2)
    ]
    reloaded = _service(session, service_id)
    assert reloaded.eligibility is not None and reloaded.eligibility.min_age == 18
    assert sorted(d.domain_code for d in reloaded.need_domains) == ["financien", "huisvesting"]


def test_saving_an_unchanged_entry_writes_nothing(session) -> None:
    make_region(session)
    service_id = make_service(session, make_organisation(session))
    before = len(_log(session))
    _, changed = save_service(session, as_write(_service(session, service_id)), ACTOR)
    assert not changed
    assert len(_log(session)) == before
    assert _service(session, service_id).version == 1


def test_positions_strictly_increase_with_the_actor_recorded(session) -> None:
    make_region(session)
    make_service(session, make_organisation(session))
    entries = _log(session)
    positions = [e.position for e in entries]
    assert positions == sorted(set(positions))
    assert {e.actor for e in entries} == {"test"}
    assert [e.entity_type for e in entries][-2:] == ["organisation", "service"]


def test_a_rolled_back_write_leaves_no_log_entry(engine) -> None:
    with Session(engine) as session, session.begin():
        make_region(session)
        organisation_id = make_organisation(session)
    with Session(engine) as session:
        before = len(_log(session))
    with pytest.raises(RuntimeError), Session(engine) as session, session.begin():
        make_service(session, organisation_id)
        raise RuntimeError("the request failed after the write")
    with Session(engine) as session:
        assert len(_log(session)) == before
        assert session.exec(select(Service)).all() == []


def test_postgres_appends_commit_in_position_order(engine, backend) -> None:
    """A later append waits for an earlier open one, so `position > n` never misses a row."""
    if backend.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; the ordering lock is PostgreSQL's")
    with Session(engine) as session, session.begin():
        make_region(session)
        organisation_id = make_organisation(session)
    first_appended = threading.Event()
    release_first = threading.Event()
    committed: list[str] = []

    def first() -> None:
        with Session(engine) as session, session.begin():
            make_service(session, organisation_id, name="eerste")
            first_appended.set()
            release_first.wait(10)
        committed.append("first")

    def second() -> None:
        first_appended.wait(10)
        with Session(engine) as session, session.begin():
            make_service(session, organisation_id, name="tweede")
        committed.append("second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_appended.wait(10)
    time.sleep(0.5)
    assert committed == [], "the second writer must wait for the first to commit"
    release_first.set()
    for thread in threads:
        thread.join(20)
    assert committed == ["first", "second"]
    with Session(engine) as session:
        names = {s.id: s.name for s in session.exec(select(Service)).all()}
        services = [e for e in _log(session) if e.entity_type == "service"]
    assert [names[uuid.UUID(e.entity_id)] for e in services] == ["eerste", "tweede"]
