"""The search's read model: what ranking reads of every live, active service, held in the
worker's memory and kept at the change log's newest position.

A search finds its candidates here by key (the area codes of the patient's buurt, wijk and
gemeente; a grid cell around the patient for services open to anyone), filters and orders
them in Python and hands the page's ids on to the stored cards. It reads nothing else from
the database but the newest change-log position: when that moved, the services the new
entries touched are read again (a service, an organisation's services, a location's
services). The model is loaded from the catalogue and the index's stems and points at the
first search of a worker (per engine: a replica's model follows that replica).

A session that has written the change log without committing sees its own writes: they are
read into an overlay for that search only, never into the model others share.
"""

import json
import math
import threading
import uuid
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, type_coerce
from sqlmodel import Session, col

from app.changelog.models import ChangeLogEntry
from app.changelog.service import APPENDED
from app.db import table_of
from app.dialect import fulltext
from app.search.index import chunks
from app.search.models import ServicePoint
from app.search.ranking import KM_PER_DEGREE, DriverId
from app.services.models import Service, ServiceArea, ServiceLocation, ServiceNeedDomain, ServiceTargetGroup
from app.taxonomy.vocabulary import Cost, ServiceStatus

CELL_DEGREES = 0.1  # the grid of the locations of services open to anyone: about 11 by 7 km
_CHUNK = 1000

_service, _area, _at = table_of(Service), table_of(ServiceArea), table_of(ServiceLocation)
_domain, _group, _point = table_of(ServiceNeedDomain), table_of(ServiceTargetGroup), table_of(ServicePoint)
_POSITION = select(func.max(ChangeLogEntry.position))
_IDS = (uuid.UUID,)


class Entry:
    """One service as the ranking reads it. Sets shared by many services (domains, target
    groups, languages) are one object each (Interned)."""

    __slots__ = (
        "access_route",
        "areas",
        "document",
        "domains",
        "free",
        "groups",
        "id",
        "languages",
        "located",
        "name",
        "points",
    )

    def __init__(
        self, id: Any, name: str, document: str, areas: tuple[str, ...], domains: frozenset[str],
        groups: frozenset[str], access_route: str, free: bool, languages: frozenset[str],
        points: tuple[float, ...], located: bool,
    ) -> None:
        self.id = id  # as the driver reads it (ranking.DriverId)
        self.name = name
        self.document = document  # its stems, each after a space
        self.areas = areas
        self.domains = domains
        self.groups = groups
        self.access_route = access_route
        self.free = free
        self.languages = languages
        self.points = points  # lat, lon of each live location, flat
        self.located = located  # it has locations, live or not: it is never "anywhere"

    def d2(self, lat: float, lon: float, shrink: float) -> float | None:
        """Squared equirectangular distance to its nearest live location, in degrees of latitude."""
        points = self.points
        best = None
        for i in range(0, len(points), 2):
            dx = (points[i + 1] - lon) * shrink
            dy = points[i] - lat
            d2 = dx * dx + dy * dy
            if best is None or d2 < best:
                best = d2
        return best


class Interned(dict[Any, Any]):
    def __call__(self, value: Any) -> Any:
        return self.setdefault(value, value)


@dataclass
class Place:
    """Where a search looks, in the model's terms."""

    lat: float
    lon: float
    buurten: frozenset[str]
    wijken: frozenset[str]
    gemeente: str | None
    reach_km: float

    @property
    def shrink(self) -> float:
        return math.cos(math.radians(self.lat))


class Model:
    """Every live, active service by id, by area code, by grid cell (those without areas,
    by each live location) and, those with neither areas nor locations, in a list."""

    def __init__(self, position: Any) -> None:
        self.position = position
        self.entries: dict[Any, Entry] = {}
        self.by_area: defaultdict[str, list[Entry]] = defaultdict(list)
        self.by_cell: defaultdict[tuple[int, int], list[Entry]] = defaultdict(list)
        self.anywhere: list[Entry] = []

    def add(self, entry: Entry) -> None:
        self.entries[entry.id] = entry
        for code in entry.areas:
            self.by_area[code].append(entry)
        if entry.areas:
            return
        if not entry.located:
            self.anywhere.append(entry)
        for cell in _cells_of(entry):
            self.by_cell[cell].append(entry)

    def remove(self, service_id: Any) -> None:
        entry = self.entries.pop(service_id, None)
        if entry is None:
            return
        for code in entry.areas:
            self.by_area[code].remove(entry)
        if entry.areas:
            return
        if not entry.located:
            self.anywhere.remove(entry)
        for cell in _cells_of(entry):
            self.by_cell[cell].remove(entry)


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / CELL_DEGREES), math.floor(lon / CELL_DEGREES)


def _cells_of(entry: Entry) -> set[tuple[int, int]]:
    points = entry.points
    return {_cell(points[i], points[i + 1]) for i in range(0, len(points), 2)}


# -- finding candidates --------------------------------------------------------------------


def by_area(model: Model, overlay: dict[Any, Entry | None], place: Place, level: int) -> Iterator[Entry]:
    """The services whose most specific area matching the place is of this level (0 buurt,
    1 wijk, 2 gemeente)."""
    codes = (place.buurten, place.wijken, {place.gemeente} if place.gemeente else set())
    more = frozenset().union(*codes[:level])
    seen = set()
    for code in codes[level]:
        for entry in model.by_area.get(code, ()):
            if entry.id not in seen and entry.id not in overlay and more.isdisjoint(entry.areas):
                seen.add(entry.id)
                yield entry
    for changed in overlay.values():
        if changed is not None and not codes[level].isdisjoint(changed.areas) and more.isdisjoint(changed.areas):
            yield changed


def by_radius(model: Model, overlay: dict[Any, Entry | None], place: Place) -> Iterator[Entry]:
    """The services without areas with a live location within the place's reach (inside its
    bounding box and its radius, as equirectangular distance)."""
    reach = place.reach_km / KM_PER_DEGREE
    shrink = place.shrink
    lat_min, lat_max = place.lat - reach, place.lat + reach
    lon_min, lon_max = place.lon - reach / shrink, place.lon + reach / shrink
    low, high = _cell(lat_min, lon_min), _cell(lat_max, lon_max)
    seen = set()
    candidates = [entry for x in range(low[0], high[0] + 1) for y in range(low[1], high[1] + 1)
                  for entry in model.by_cell.get((x, y), ())]
    candidates += [entry for entry in overlay.values() if entry is not None and not entry.areas]
    for entry in candidates:
        if entry.id in seen or (entry.id in overlay and overlay[entry.id] is not entry):
            continue
        points = entry.points
        for i in range(0, len(points), 2):
            lat, lon = points[i], points[i + 1]
            if lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
                dx, dy = (lon - place.lon) * shrink, lat - place.lat
                if dx * dx + dy * dy <= reach * reach:
                    seen.add(entry.id)
                    yield entry
                    break


def by_anywhere(model: Model, overlay: dict[Any, Entry | None]) -> Iterator[Entry]:
    """The services with neither areas nor locations."""
    for entry in model.anywhere:
        if entry.id not in overlay:
            yield entry
    for changed in overlay.values():
        if changed is not None and not changed.areas and not changed.located:
            yield changed


# -- keeping the model -----------------------------------------------------------------------


class ReadModels:
    """Each engine's model, loaded at its first search and brought to the newest position
    before each one."""

    def __init__(self) -> None:
        self._models: weakref.WeakKeyDictionary[Engine, Model] = weakref.WeakKeyDictionary()
        self._lock = threading.RLock()

    def reading(self, session: Session) -> "Reading":
        """The model as this session sees the catalogue, locked for this search's ranking.

        A session with uncommitted writes of its own reads them into an overlay; before a
        model exists, it reads one of its own. Either stays with this search."""
        engine = session.get_bind().engine
        position = session.execute(_POSITION).scalar()
        pending = APPENDED.pending(session)
        self._lock.acquire()
        try:
            model = self._models.get(engine)
            overlay: dict[Any, Entry | None] = {}
            if model is None:
                model = load(session, position)
                if not pending:
                    self._models[engine] = model
            elif position is not None and position != model.position:
                if pending:
                    overlay = _read(session, _touched(session, model.position))
                elif model.position is None or position > model.position:
                    _catch_up(session, model, position)
            return Reading(model, overlay, self._lock)
        except BaseException:
            self._lock.release()
            raise


@dataclass
class Reading:
    model: Model
    overlay: dict[Any, Entry | None]
    lock: threading.RLock

    def __enter__(self) -> "Reading":
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def load(session: Session, position: Any) -> Model:
    model = Model(position)
    for entry in _entries(session, None).values():
        model.add(entry)
    return model


def _catch_up(session: Session, model: Model, position: Any) -> None:
    for service_id, entry in _read(session, _touched(session, model.position)).items():
        model.remove(service_id)
        if entry is not None:
            model.add(entry)
    model.position = position


def _touched(session: Session, after: Any) -> set[Any]:
    """The services whose ranking facts the change-log entries after `after` may have changed."""
    statement = select(col(ChangeLogEntry.entity_type), col(ChangeLogEntry.entity_id))
    if after is not None:
        statement = statement.where(col(ChangeLogEntry.position) > after)
    written: dict[str, set[uuid.UUID]] = {"service": set(), "organisation": set(), "location": set()}
    for entity_type, entity_id in session.execute(statement).all():
        if entity_type in written:
            written[entity_type].add(entity_id if isinstance(entity_id, uuid.UUID) else uuid.UUID(str(entity_id)))
    service_id = type_coerce(_service.c.id, DriverId())
    linked = type_coerce(_at.c.service_id, DriverId())
    touched = {_as_driver(session, sid) for sid in written["service"]}
    for chunk in chunks(sorted(written["organisation"]), _CHUNK):
        touched.update(session.scalars(select(service_id).where(_service.c.organisation_id.in_(chunk))))
    for chunk in chunks(sorted(written["location"]), _CHUNK):
        touched.update(session.scalars(select(linked).where(_at.c.location_id.in_(chunk))))
    return touched


def _as_driver(session: Session, service_id: uuid.UUID) -> Any:
    return service_id.hex if session.get_bind().dialect.name == "sqlite" else service_id


def _read(session: Session, service_ids: Iterable[Any]) -> dict[Any, Entry | None]:
    """Each of these services' entry as the database holds it now (None: not live and active)."""
    found: dict[Any, Entry | None] = dict.fromkeys(service_ids)
    for chunk in chunks(sorted(found), _CHUNK):
        found.update(_entries(session, chunk))
    return found


def _entries(session: Session, ids: list[Any] | None) -> dict[Any, Entry]:
    """The entries of the live, active services among `ids` (None: all)."""
    dialect_name = session.get_bind().dialect.name

    def rows(*columns: Any, where: Any = None) -> list[Any]:
        subject = type_coerce(columns[0], DriverId())
        statement = select(subject, *columns[1:])
        if where is not None:
            statement = statement.where(where)
        if ids is not None:
            statement = statement.where(subject.in_(ids))
        return list(session.execute(statement).all())

    stems_id, stems = fulltext.search_stems(dialect_name)
    intern = Interned()
    documents = dict(rows(stems_id, stems))
    areas: defaultdict[Any, list[str]] = defaultdict(list)
    for service_id, code in rows(_area.c.service_id, _area.c.area_code):
        areas[service_id].append(intern(code))
    domains = _sets(rows(_domain.c.service_id, _domain.c.domain_code))
    groups = _sets(rows(_group.c.service_id, _group.c.group_code))
    points: defaultdict[Any, list[float]] = defaultdict(list)
    for service_id, lat, lon in rows(_point.c.service_id, _point.c.lat, _point.c.lon):
        points[service_id] += (lat, lon)
    located = {service_id for service_id, in rows(_at.c.service_id)}
    live = rows(
        _service.c.id, _service.c.name, _service.c.access_route, _service.c.cost, _service.c.languages,
        where=(_service.c.deleted_at.is_(None)) & (_service.c.status == ServiceStatus.active),
    )
    empty: frozenset[str] = frozenset()
    return {
        service_id: Entry(
            service_id, name, " " + (documents.get(service_id) or ""), tuple(sorted(areas.get(service_id, ()))),
            intern(domains.get(service_id, empty)), intern(groups.get(service_id, empty)), intern(access_route),
            cost == Cost.free, intern(frozenset(languages if isinstance(languages, list) else json.loads(languages or "[]"))),
            tuple(points.get(service_id, ())), service_id in located,
        )
        for service_id, name, access_route, cost, languages in live
    }


def _sets(rows: Iterable[Any]) -> dict[Any, frozenset[str]]:
    found: defaultdict[Any, set[str]] = defaultdict(set)
    for service_id, code in rows:
        found[service_id].add(code)
    return {service_id: frozenset(codes) for service_id, codes in found.items()}


READ_MODELS = ReadModels()
