"""The five tables that hand the ranking (app/search/ranking.py) its candidates by key.

Each is what one SELECT over the catalogue gives (DERIVED). Refreshing a service's rows
deletes them and inserts that SELECT's rows for the service, in set-based statements
alike on both databases; a whole table is rebuilt or brought up to date the same way.
service_area_document copies the services' stems: refresh it after their documents.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, delete, except_, exists, func, insert, literal, select, true, tuple_
from sqlmodel import Session

from app.db import table_of
from app.dialect import fulltext
from app.locations.models import Location
from app.search.index import chunks
from app.search.models import ServiceAnywhere, ServiceAreaDocument, ServiceAreaDomain, ServiceOpenLocation, ServicePoint
from app.services.models import Service, ServiceArea, ServiceLocation, ServiceNeedDomain

_service, _area, _at, _domain = (table_of(m) for m in (Service, ServiceArea, ServiceLocation, ServiceNeedDomain))
_location = table_of(Location)
Which = Callable[[Any], ColumnElement[bool]]  # (a column naming services) -> the condition choosing them


def _open_locations(_dialect_name: str, which: Which) -> Select[Any]:
    """The location links of services without areas."""
    return select(_at.c.location_id, _at.c.service_id).where(
        ~exists().where(_area.c.service_id == _at.c.service_id), which(_at.c.service_id)
    )


def _anywhere(_dialect_name: str, which: Which) -> Select[Any]:
    """The services (deleted or not: the search asks for live ones) with neither areas nor locations."""
    return select(_service.c.id).where(
        ~exists().where(_area.c.service_id == _service.c.id),
        ~exists().where(_at.c.service_id == _service.c.id),
        which(_service.c.id),
    )


def _area_domains(_dialect_name: str, which: Which) -> Select[Any]:
    """Each service's areas by its need domains."""
    return (
        select(_area.c.area_code, _domain.c.domain_code, _area.c.service_id)
        .join(_domain, _domain.c.service_id == _area.c.service_id)
        .where(which(_area.c.service_id))
    )


def _area_documents(dialect_name: str, which: Which) -> Select[Any]:
    """Each service's areas with its stems, after the leading space the search's bound stems carry."""
    service_id, stems = fulltext.search_stems(dialect_name)
    return (
        select(_area.c.area_code, _area.c.service_id, literal(" ") + stems)
        .join(service_id.table, service_id == _area.c.service_id)
        .where(which(_area.c.service_id))
    )


def _points(_dialect_name: str, which: Which, by_location: bool = False) -> Select[Any]:
    """Each service's live locations with their coordinates."""
    return (
        select(_at.c.service_id, _location.c.id, _location.c.lat, _location.c.lon)
        .join(_location, _location.c.id == _at.c.location_id)
        .where(_location.c.deleted_at.is_(None), which(_at.c.location_id if by_location else _at.c.service_id))
    )


@dataclass(frozen=True)
class Derived:
    table: Table
    rows: Callable[[str, Which], Select[Any]]  # what the table holds for the services `which` chooses


DERIVED = (
    Derived(table_of(ServiceOpenLocation), _open_locations),
    Derived(table_of(ServiceAnywhere), _anywhere),
    Derived(table_of(ServiceAreaDomain), _area_domains),
    Derived(table_of(ServicePoint), _points),
    Derived(table_of(ServiceAreaDocument), _area_documents),  # last: it copies the documents
)
_POINTS = table_of(ServicePoint)
_CHUNK = 1000  # services or locations per statement


def _columns(table: Table) -> list[str]:
    return [column.name for column in table.c]


def refresh_services(session: Session, service_ids: Iterable[uuid.UUID], *, new: bool = False) -> None:
    """Make these services' rows anew in every table (`new`: they have none yet)."""
    dialect_name = session.get_bind().dialect.name
    for chunk in chunks(sorted(set(service_ids)), _CHUNK):
        for derived in DERIVED:
            if not new:
                session.execute(delete(derived.table).where(derived.table.c.service_id.in_(chunk)))
            session.execute(insert(derived.table).from_select(
                _columns(derived.table), derived.rows(dialect_name, _among(chunk))
            ))


def refresh_locations(session: Session, location_ids: Iterable[uuid.UUID]) -> None:
    """Make the points of these locations anew (moved, deleted, restored)."""
    dialect_name = session.get_bind().dialect.name
    for chunk in chunks(sorted(set(location_ids)), _CHUNK):
        session.execute(delete(_POINTS).where(_POINTS.c.location_id.in_(chunk)))
        session.execute(insert(_POINTS).from_select(
            _columns(_POINTS), _points(dialect_name, _among(chunk), by_location=True)
        ))


def rebuild(session: Session) -> None:
    """Every table emptied and filled from the catalogue."""
    dialect_name = session.get_bind().dialect.name
    for derived in DERIVED:
        session.execute(delete(derived.table))
        session.execute(insert(derived.table).from_select(_columns(derived.table), derived.rows(dialect_name, _every)))


def bring_up_to_date(session: Session) -> int:
    """Delete the rows no table should hold and insert those it lacks; how many rows changed."""
    dialect_name = session.get_bind().dialect.name
    changed = 0
    for derived in DERIVED:
        table, should = derived.table, derived.rows(dialect_name, _every)
        kept = select(*table.c)
        if wrong := _count(session, except_(kept, should)):
            session.execute(delete(table).where(tuple_(*table.c).in_(except_(kept, should))))
        if lacking := _count(session, except_(should, kept)):
            session.execute(insert(table).from_select(_columns(table), except_(should, kept)))
        changed += wrong + lacking
    return changed


def contents(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    """Every table's rows, by table name."""
    return {derived.table.name: {tuple(row) for row in session.execute(select(derived.table))} for derived in DERIVED}


def _among(ids: list[uuid.UUID]) -> Which:
    return lambda column: column.in_(ids)


def _count(session: Session, rows: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(rows.subquery())) or 0)


def _every(_column: Any) -> ColumnElement[bool]:
    return true()
