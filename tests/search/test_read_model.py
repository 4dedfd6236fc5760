"""The search's read model (app/search/memory.py): kept from the change log after every kind
of committed write, it equals a model loaded anew; a session's uncommitted writes reach its
own searches only."""

from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from app.areas.service import save_postcode4
from app.search import memory
from app.search.memory import READ_MODELS
from app.search.schemas import SearchCriteria
from app.search.service import search
from app.visibility import ANONYMOUS
from tests.support.factories import ACTOR, GEMEENTE, CatalogueWrites, make_organisation, make_region, make_service


def _held(model: memory.Model) -> dict[str, Any]:
    """Everything a model holds, comparable between two models."""
    return {
        "position": model.position,
        "entries": {service_id: tuple(getattr(entry, name) for name in memory.Entry.__slots__)
                    for service_id, entry in model.entries.items()},
        "by_area": {code: sorted(e.id for e in entries) for code, entries in model.by_area.items() if entries},
        "by_cell": {cell: sorted((lat, lon, e.id) for lat, lon, e in points) for cell, points in model.by_cell.items()
                    if points},
        "anywhere": sorted(e.id for e in model.anywhere),
    }


def _kept_and_loaded(engine: Engine) -> tuple[memory.Model, dict[str, Any], dict[str, Any]]:
    with Session(engine) as session:
        with READ_MODELS.reading(session) as reading:
            kept = _held(reading.model)
        return reading.model, kept, _held(memory.load(session, kept["position"]))


def test_after_every_kind_of_committed_write_the_read_model_equals_one_loaded_anew(engine: Engine) -> None:
    with Session(engine) as writer:
        catalogue = CatalogueWrites(writer)
        writer.commit()
        model, kept, loaded = _kept_and_loaded(engine)
        assert kept == loaded and kept["anywhere"] and kept["by_area"] and kept["by_cell"] == {}
        for write in catalogue.writes:
            write()
            writer.commit()
            caught_up, kept, loaded = _kept_and_loaded(engine)
            assert caught_up is model  # brought up to date, not loaded again
            assert kept == loaded


def _names(session: Session) -> set[str]:
    page = search(session, SearchCriteria(postcode="9901", limit=100), ANONYMOUS)
    return {item["service"]["name"] for item in page["items"]}


def test_uncommitted_writes_reach_their_own_session_only(engine: Engine) -> None:
    with Session(engine) as session:
        make_region(session)
        make_service(session, make_organisation(session), name="Vaste hulp", areas=[GEMEENTE])
        session.commit()
    with Session(engine) as writer, Session(engine) as reader:
        assert _names(reader) == {"Vaste hulp"}
        reader.rollback()  # a new snapshot for the next read
        make_service(writer, make_organisation(writer, name="Ander"), name="Nieuwe hulp", areas=[GEMEENTE])
        writer.flush()
        assert _names(writer) == {"Vaste hulp", "Nieuwe hulp"}
        assert _names(reader) == {"Vaste hulp"}
        writer.rollback()
        reader.rollback()
        assert _names(writer) == _names(reader) == {"Vaste hulp"}


def test_a_resolved_postcode_is_remembered_until_an_area_or_postcode_changes(engine: Engine) -> None:
    """The search resolves a postcode once; a committed change of a postcode (or an area)
    reaches the next search, and an uncommitted one its own session's only."""
    with Session(engine) as session:
        make_region(session)
        session.commit()
    asked: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        asked.append(statement)

    def point(session: Session) -> tuple[float, float]:
        place = search(session, SearchCriteria(postcode="9901", limit=1), ANONYMOUS)["place"]
        session.rollback()  # each search in a snapshot of its own
        return place["lat"], place["lon"]

    moved = {"pc4": "9901", "place": "Proefstad", "gemeente_code": GEMEENTE, "lat": 51.52, "lon": 3.63,
             "kind": "address"}
    with Session(engine) as session, Session(engine) as writer:
        assert point(session) == (51.5, 3.61)
        event.listen(engine, "before_cursor_execute", note)
        try:
            assert point(session) == (51.5, 3.61)
            assert not [statement for statement in asked if "postcode4" in statement]
            save_postcode4(writer, moved, ACTOR)
            writer.flush()
            assert search(writer, SearchCriteria(postcode="9901", limit=1), ANONYMOUS)["place"]["lat"] == 51.52
            assert point(session) == (51.5, 3.61)
            writer.commit()
            assert point(session) == (51.52, 3.63)
        finally:
            event.remove(engine, "before_cursor_execute", note)
