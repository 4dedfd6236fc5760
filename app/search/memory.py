"""The search's read model: what ranking reads of every live, active service, held in the
worker's memory and kept at the change log's newest position.

A search finds its candidates here by key (the area codes of the patient's buurt, wijk and
gemeente; a grid cell around the patient for services open to anyone), filters and orders
them in Python and hands the page's ids on to the stored cards. It reads nothing else from
the database but the newest change-log position: when that moved, the services the new
entries touched are read again (a service, an organisation's services, a location's
services). The model is loaded from the catalogue, its locations and the index's stems when
a worker starts (app/main.py), before its first search otherwise; replicas share the
primary's model.

A session that has written the change log without committing sees its own writes: they are
read into an overlay for that search only, never into the model others share.
"""

import functools
import json
import math
import threading
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, type_coerce
from sqlmodel import Session, col

from app.areas.schemas import PostcodeOut
from app.areas.service import resolve_postcode
from app.changelog.models import ChangeLogEntry
from app.changelog.service import APPENDED, EntityType
from app.db import table_of
from app.dialect import fulltext
from app.locations.models import Location, OpeningException, OpeningHours
from app.locations.opening import DatedHours, OpeningTimes, WeeklyHours, local_moment, state_at
from app.search.index import chunks, entries_written, services_of
from app.search.ranking import KM_PER_DEGREE, NO_DISTANCE, DriverId, driver_id, id_number
from app.services.models import Service, ServiceArea, ServiceLocation, ServiceNeedDomain, ServiceTargetGroup
from app.taxonomy.vocabulary import Cost, ServiceStatus

CELL_DEGREES = 0.05  # the grid of the locations of services open to anyone: about 5.5 by 3.5 km
_CHUNK = 1000

_service, _area, _at = table_of(Service), table_of(ServiceArea), table_of(ServiceLocation)
_domain, _group, _location = table_of(ServiceNeedDomain), table_of(ServiceTargetGroup), table_of(Location)
_hours, _exception = table_of(OpeningHours), table_of(OpeningException)
_POSITION = select(func.max(ChangeLogEntry.position))
_LIVE = _service.c.deleted_at.is_(None) & (_service.c.status == ServiceStatus.active)
_LOAD_CHUNK = 5000
PLACES_KEPT = 4096  # resolved postcodes a model remembers: about every residential PC4
_REFERENCE = (EntityType.area, EntityType.postcode)  # the change-log entries that can move a postcode


class Entry:
    """One service as the ranking reads it. Values shared by many services (area codes,
    domains, target groups, languages, the points and opening times of an organisation's
    locations) are one object each (Interned)."""

    __slots__ = (
        "access_route",
        "areas",
        "document",
        "domains",
        "free",
        "groups",
        "hours",
        "id",
        "languages",
        "located",
        "name",
        "points",
    )

    def __init__(
        self, id: int, name: str, document: str, areas: tuple[str, ...], domains: frozenset[str],
        groups: frozenset[str], access_route: str, free: bool, languages: frozenset[str],
        points: tuple[float, ...], located: bool, hours: frozenset[OpeningTimes],
    ) -> None:
        self.id = id  # the UUID's number (ranking.id_number)
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
        self.hours = hours  # the opening times of its live locations

    def d2(self, place: "Place") -> float:
        """Squared equirectangular distance from the place to its nearest live location, in
        degrees of latitude (NO_DISTANCE without one)."""
        points, lat, lon, shrink = self.points, place.lat, place.lon, place.shrink
        best = NO_DISTANCE
        for i in range(0, len(points), 2):
            dx = (points[i + 1] - lon) * shrink
            dy = points[i] - lat
            d2 = dx * dx + dy * dy
            if d2 < best:
                best = d2
        return best


class Interned(dict[Any, Any]):
    """The one object kept for each equal value: codes and sets that many entries share are
    held once."""

    def __call__(self, value: Any) -> Any:
        return self.setdefault(value, value)


@dataclass(frozen=True)
class Place:
    """Where a search looks, in the model's terms: its point, the area codes of each level
    (buurt, wijk, gemeente) and its radius."""

    lat: float
    lon: float
    codes: tuple[frozenset[str], ...]
    reach_km: float

    @functools.cached_property
    def shrink(self) -> float:
        """How much shorter a degree of longitude is than one of latitude here."""
        return math.cos(math.radians(self.lat))


class Model:
    """Every live, active service by id, by area code, those without areas by the grid cell
    of each live location, and those with neither areas nor locations in a list."""

    def __init__(self, position: Any) -> None:
        self.position = position
        self.entries: dict[int, Entry] = {}
        self.by_area: defaultdict[str, list[Entry]] = defaultdict(list)
        self.by_cell: defaultdict[tuple[int, int], list[tuple[float, float, Entry]]] = defaultdict(list)
        self.anywhere: list[Entry] = []
        self.intern = Interned()  # the sets and codes its entries share
        self.places: dict[str, PostcodeOut] = {}  # resolved postcodes, the oldest first

    def add(self, entry: Entry) -> None:
        self.entries[entry.id] = entry
        for held, item in self._slots(entry):
            held.append(item)

    def remove(self, service_id: int) -> None:
        entry = self.entries.pop(service_id, None)
        if entry is not None:
            for held, item in self._slots(entry):
                held.remove(item)

    def _slots(self, entry: Entry) -> Iterator[tuple[list[Any], Any]]:
        """Each index list that holds the entry, with the item it holds there: its area codes';
        without areas, the anywhere list's (without locations too) and each live location's cell's."""
        for code in entry.areas:
            yield self.by_area[code], entry
        if entry.areas:
            return
        if not entry.located:
            yield self.anywhere, entry
        for lat, lon in _points(entry):
            yield self.by_cell[_cell(lat, lon)], (lat, lon, entry)


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / CELL_DEGREES), math.floor(lon / CELL_DEGREES)


def _points(entry: Entry) -> list[tuple[float, float]]:
    points = entry.points
    return [(points[i], points[i + 1]) for i in range(0, len(points), 2)]


# -- finding candidates: each takes `keep`, the search's filters, to test a service by ------


Keep = Callable[[Entry], bool]


def by_area(model: Model, overlay: dict[int, Entry | None], place: Place, level: int, keep: Keep) -> Iterator[Entry]:
    """The services kept whose most specific area matching the place is of this level (0
    buurt, 1 wijk, 2 gemeente)."""
    codes = place.codes
    more = frozenset().union(*codes[:level])
    several = len(codes[level]) > 1  # a service in more than one of them is found once
    seen = set()
    for code in codes[level]:
        for entry in model.by_area.get(code, ()):
            if (more.isdisjoint(entry.areas) and not (overlay and entry.id in overlay)
                    and not (several and entry.id in seen) and keep(entry)):
                if several:
                    seen.add(entry.id)
                yield entry
    for changed in overlay.values():
        if (changed is not None and not codes[level].isdisjoint(changed.areas) and more.isdisjoint(changed.areas)
                and keep(changed)):
            yield changed


def by_radius(model: Model, overlay: dict[int, Entry | None], place: Place, keep: Keep) -> Iterator[Entry]:
    """The services kept without areas with a live location within the place's reach
    (inside its bounding box and its radius, as equirectangular distance)."""
    reach = place.reach_km / KM_PER_DEGREE
    reach2, shrink, lat0, lon0 = reach * reach, place.shrink, place.lat, place.lon
    lat_min, lat_max = lat0 - reach, lat0 + reach
    lon_min, lon_max = lon0 - reach / shrink, lon0 + reach / shrink
    low, high = _cell(lat_min, lon_min), _cell(lat_max, lon_max)
    points = [point for x in range(low[0], high[0] + 1) for y in range(low[1], high[1] + 1)
              for point in model.by_cell.get((x, y), ())]
    points += [(lat, lon, changed) for changed in overlay.values() if changed is not None and not changed.areas
               for lat, lon in _points(changed)]
    seen = set()  # of services with more than one location: each is found once
    for lat, lon, entry in points:
        if lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
            dx, dy = (lon - lon0) * shrink, lat - lat0
            if (dx * dx + dy * dy <= reach2 and not (overlay and overlay.get(entry.id, entry) is not entry)
                    and not (len(entry.points) > 2 and entry.id in seen) and keep(entry)):
                if len(entry.points) > 2:
                    seen.add(entry.id)
                yield entry


def by_anywhere(model: Model, overlay: dict[int, Entry | None], keep: Keep) -> Iterator[Entry]:
    """The services kept with neither areas nor locations."""
    for entry in model.anywhere:
        if not (overlay and entry.id in overlay) and keep(entry):
            yield entry
    for changed in overlay.values():
        if changed is not None and not changed.areas and not changed.located and keep(changed):
            yield changed


def open_at(moment: datetime) -> Keep:
    """Whether a service has a live location open at `moment` (app/locations/opening.py's rule).

    Services share their opening times (Interned), so each distinct set is decided once."""
    day, weekday, local_time = local_moment(moment)
    decided: dict[int, bool] = {}

    def is_open(entry: Entry) -> bool:
        hours = entry.hours
        found = decided.get(id(hours))  # interned: one object per distinct value while the model is read
        if found is None:
            found = decided[id(hours)] = any(state_at(each, day, weekday, local_time) == "open" for each in hours)
        return found

    return is_open


# -- keeping the model -----------------------------------------------------------------------


class ReadModels:
    """Each engine's model, loaded at start-up (load) or else at its first search, and
    brought to the newest position before each one."""

    def __init__(self) -> None:
        self._models: weakref.WeakKeyDictionary[Engine, Model] = weakref.WeakKeyDictionary()
        self._lock = threading.RLock()

    def load(self, engine: Engine, replicas: Iterable[Engine] = ()) -> None:
        """Load the engine's model now (a worker's start-up), and let its replicas share it:
        they hold the same catalogue, and a model only ever moves forward (a replica behind
        it does not take it back)."""
        with Session(engine) as session:
            model = load(session, session.execute(_POSITION).scalar())
        with self._lock:
            for each in (engine, *replicas):
                self._models[each] = model

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
            overlay: dict[int, Entry | None] = {}
            if model is None:
                model = load(session, position)
                if not pending:
                    self._models[engine] = model
            elif position is not None and position != model.position:
                if pending:
                    overlay = _read(session, _touched(session, _written_after(session, model.position)), model.intern)
                elif model.position is None or position > model.position:
                    _catch_up(session, model, position)
            return Reading(model, overlay, self._lock, pending)
        except BaseException:
            self._lock.release()
            raise


@dataclass
class Reading:
    model: Model
    overlay: dict[int, Entry | None]
    lock: threading.RLock
    pending: bool  # the session has written the change log without committing

    def postcode(self, session: Session, postcode: str) -> PostcodeOut:
        """resolve_postcode of a postcode in its normal form (app.postcode.normalise_postcode),
        remembered by the model until a change-log entry of an area or a postcode (as the
        response cache remembers pages); a session with uncommitted writes resolves anew."""
        places = self.model.places
        if self.pending or (found := places.get(postcode)) is None:
            found = resolve_postcode(session, postcode)
            if not self.pending:
                if len(places) >= PLACES_KEPT:
                    del places[next(iter(places))]
                places[postcode] = found
        return found

    def __enter__(self) -> "Reading":
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def load(session: Session, position: Any) -> Model:
    """The model of the catalogue as the session reads it, at this change-log position.

    Read in slices of services: what a slice's rows cost is freed before the next, so that
    the worker's memory holds the model and little besides."""
    model = Model(position)
    live = select(type_coerce(_service.c.id, DriverId())).where(_LIVE)
    for chunk in chunks(sorted(session.scalars(live)), _LOAD_CHUNK):
        for entry in _entries(session, chunk, model.intern, span=True).values():
            model.add(entry)
    return model


def _catch_up(session: Session, model: Model, position: Any) -> None:
    written = _written_after(session, model.position)
    if any(entity_type in _REFERENCE for entity_type, _ in written):
        model.places.clear()
    for service_id, entry in _read(session, _touched(session, written), model.intern).items():
        model.remove(service_id)
        if entry is not None:
            model.add(entry)
    model.position = position


def _written_after(session: Session, position: Any) -> list[tuple[str, Any]]:
    """The (entity type, entity id) of the change-log entries after this position."""
    statement = select(col(ChangeLogEntry.entity_type), col(ChangeLogEntry.entity_id))
    if position is not None:
        statement = statement.where(col(ChangeLogEntry.position) > position)
    return [(entity_type, entity_id) for entity_type, entity_id in session.execute(statement)]


def _touched(session: Session, entries: list[tuple[str, Any]]) -> set[uuid.UUID]:
    """The services whose ranking facts these change-log entries may have changed: a
    service's own, an organisation's services' (its name is in their stems), a location's
    services' (their points and opening times)."""
    written = entries_written(entries, ("service", "organisation", "location"))
    touched = written["service"] | services_of(session, written["organisation"])
    for chunk in chunks(sorted(written["location"]), _CHUNK):
        touched.update(session.scalars(select(_at.c.service_id).where(_at.c.location_id.in_(chunk))))
    return touched


def _read(session: Session, service_ids: Iterable[uuid.UUID], intern: "Interned") -> dict[int, Entry | None]:
    """Each of these services' entry as the database holds it now (None: not live and
    active), by its id's number."""
    found: dict[int, Entry | None] = dict.fromkeys(service_id.int for service_id in service_ids)
    as_driver = driver_id(session.get_bind().dialect)
    for chunk in chunks(sorted(as_driver(service_id) for service_id in service_ids), _CHUNK):
        found.update(_entries(session, chunk, intern))
    return found


def _entries(session: Session, ids: list[Any], intern: "Interned", *, span: bool = False) -> dict[int, Entry]:
    """The entries of the live, active services among `ids` (as the driver reads them, sorted;
    `span`: they are every live service from the first to the last), by their ids' numbers."""
    dialect_name = session.get_bind().dialect.name
    number = id_number(session.get_bind().dialect)

    def chosen(service_id: Any) -> Any:
        # Every live service in a span (loading the model): a range, which both databases read
        # from the tables' service_id indexes; a list of ids binds thousands of values.
        subject = type_coerce(service_id, DriverId())
        return subject.between(ids[0], ids[-1]) if span else subject.in_(ids)

    def rows(*columns: Any, where: Any = None) -> list[Any]:
        statement = select(type_coerce(columns[0], DriverId()), *columns[1:]).where(chosen(columns[0]))
        return list(session.execute(statement if where is None else statement.where(where)).all())

    def of_their_locations(*columns: Any) -> list[Any]:
        linked = select(_at.c.location_id).where(chosen(_at.c.service_id))
        return list(session.execute(select(*columns).where(columns[0].in_(linked))).all())

    stems_id, stems = fulltext.search_stems(dialect_name)
    documents = dict(rows(stems_id, stems))
    areas: defaultdict[Any, list[str]] = defaultdict(list)
    for service_id, code in rows(_area.c.service_id, _area.c.area_code):
        areas[service_id].append(intern(code))
    domains = _sets(rows(_domain.c.service_id, _domain.c.domain_code))
    groups = _sets(rows(_group.c.service_id, _group.c.group_code))
    weekly: defaultdict[Any, list[WeeklyHours]] = defaultdict(list)
    for location_id, *times in of_their_locations(_hours.c.location_id, _hours.c.weekday, _hours.c.opens,
                                                  _hours.c.closes):
        weekly[location_id].append(WeeklyHours(*times))
    dated: defaultdict[Any, list[DatedHours]] = defaultdict(list)
    for location_id, *times in of_their_locations(_exception.c.location_id, _exception.c.date, _exception.c.opens,
                                                  _exception.c.closes):
        dated[location_id].append(DatedHours(*times))
    points: defaultdict[Any, list[tuple[float, float]]] = defaultdict(list)
    hours: defaultdict[Any, list[OpeningTimes]] = defaultdict(list)
    located = set()
    for service_id, location_id, lat, lon, live_location in rows(
        _at.c.service_id, _at.c.location_id, _location.c.lat, _location.c.lon, _location.c.deleted_at.is_(None),
        where=_location.c.id == _at.c.location_id,
    ):
        located.add(service_id)
        if live_location:
            points[service_id].append((lat, lon))
            hours[service_id].append(intern(OpeningTimes(tuple(sorted(weekly[location_id])),
                                                          tuple(sorted(dated[location_id])))))
    live = rows(
        _service.c.id, _service.c.name, _service.c.access_route, _service.c.cost, _service.c.languages,
        where=_LIVE,
    )
    empty: frozenset[str] = frozenset()
    return {
        entry.id: entry for entry in (Entry(
            number(service_id), name, " " + (documents.get(service_id) or ""), intern(tuple(sorted(areas.get(service_id, ())))),
            intern(domains.get(service_id, empty)), intern(groups.get(service_id, empty)), intern(access_route),
            cost == Cost.free, intern(frozenset(languages if isinstance(languages, list) else json.loads(languages or "[]"))),
            intern(tuple(degrees for point in sorted(points.get(service_id, ())) for degrees in point)),
            service_id in located,
            intern(frozenset(hours.get(service_id, ()))),
        ) for service_id, name, access_route, cost, languages in live)
    }


def _sets(rows: Iterable[Any]) -> dict[Any, frozenset[str]]:
    found: defaultdict[Any, set[str]] = defaultdict(set)
    for service_id, code in rows:
        found[service_id].add(code)
    return {service_id: frozenset(codes) for service_id, codes in found.items()}


READ_MODELS = ReadModels()
