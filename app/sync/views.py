"""The normalised views that sync hands out, built from plain rows.

A copy is kept by applying these one entry at a time, so each view holds only the entry's
own data and names other entries by id. An export of the whole country builds hundreds of
thousands of them, so they come from Core row tuples, never ORM instances: each table is
read once, streamed in key order, and the tables that hang off an entry (its domains,
owners, hours, ...) are read in the same key order and merged in as the walk passes the
entry. The change feed builds the views of the few entries on a page the same way,
restricted to their keys.

Columns are read in the cheap forms of app.sync.columns, and columns.encode() writes the
views as JSON: the fields in the order of the read endpoints (organisations, locations)
or of the models (the rest), the values as pydantic writes them.
"""

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Row, Select, select
from sqlmodel import col

from app.areas.models import Area, Postcode4
from app.changelog.service import EntityType
from app.clock import local_today
from app.contacts.models import Contact, ContactArea
from app.contacts.service import current_clause, reachability_uncertain
from app.db import table_of
from app.entity import is_live
from app.front_doors.models import FrontDoor
from app.locations.models import Location, OpeningException, OpeningHours
from app.locations.schemas import Address, LocationOut, OpeningExceptionIn, OpeningInterval
from app.organisations.models import Organisation, OrganisationOwner
from app.organisations.schemas import OrganisationOut
from app.services.models import (
    Eligibility,
    Service,
    ServiceArea,
    ServiceLocation,
    ServiceNeedDomain,
    ServiceOwner,
    ServiceTargetGroup,
)
from app.services.schemas import EligibilityRules
from app.sync.columns import UuidKey, read_as
from app.visibility import Viewer, redact_direct_lines

View = dict[str, Any]
STREAM_ROWS = 2000  # rows fetched at a time from each streamed table


# Columns the views leave out: the soft-delete marks (only live entries travel) and the
# waiting-time pair, which travels as one `waiting_time` object.
_SERVICE_OWN = [name for name in Service.model_fields if name not in ("deleted_at", "waiting_days", "waiting_reported_on")]
_CONTACT_OWN = [name for name in Contact.model_fields if name not in ("deleted_at", "erased_at")]
_FRONT_DOOR_OWN = [name for name in FrontDoor.model_fields if name != "deleted_at"]
_RULES = list(EligibilityRules.model_fields)
_HOURS = list(OpeningInterval.model_fields)
_EXCEPTION = list(OpeningExceptionIn.model_fields)
_ADDRESS = list(Address.model_fields)


def _columns(model: Any, names: Iterable[str] | None = None) -> list[Any]:
    table = table_of(model)
    return [read_as(table.c[name]) for name in (names or table.c.keys())]


def _walked(model: Any, names: Iterable[str] | None = None) -> Select[Any]:
    """The live rows of a catalogue table: its columns, then the merge key."""
    return select(*_columns(model, names), UuidKey(model.id).label("key")).where(is_live(model))


def _linked(key: Any, *values: Any) -> Select[Any]:
    """Rows of a table that hangs off a walked one: the merge key, then the values."""
    return select(UuidKey(key), *(read_as(value) for value in values))


class _Rows:
    """Runs the statements of one kind's views: streamed, in key order, limited to `keys` if given."""

    def __init__(self, connection: Connection, keys: Sequence[Any] | None) -> None:
        self.connection, self.keys = connection, keys

    def __call__(self, statement: Select[Any], key: Any, *then: Any) -> Iterator[Row[Any]]:
        if self.keys is not None:
            statement = statement.where(key.in_(self.keys))
        return iter(self.connection.execution_options(yield_per=STREAM_ROWS).execute(statement.order_by(key, *then)))

    def following(self, statement: Select[Any], key: Any, *then: Any) -> "_Following":
        return _Following(self(statement, key, *then))


class _Following:
    """Rows of a table that hangs off the walked one, read in the same key order (the key
    first) and handed out key by key as the walk reaches them."""

    def __init__(self, rows: Iterator[Row[Any]]) -> None:
        self._rows = rows
        self._head = next(self._rows, None)
        self._last = ""

    def take(self, key: str) -> Sequence[Row[Any]]:
        """The rows of `key`; rows of keys the walk skipped (deleted entries) are passed over."""
        if key < self._last:
            raise RuntimeError("the walk went back: the database orders keys differently from Python")
        self._last = key
        head = self._head
        if head is None or head[0] > key:  # most entries have none: no list to make
            return ()
        taken = []
        rows = self._rows
        while head is not None and head[0] <= key:
            if head[0] == key:
                taken.append(head)
            head = next(rows, None)
        self._head = head
        return taken

    def codes(self, key: str) -> list[str]:
        """The second column of the rows of `key`, sorted (codes, as the write schemas keep them)."""
        return sorted([row[1] for row in self.take(key)])  # type: ignore[misc]  # Row[Any] reads as an empty tuple type


def _plain(model: Any, key: Any) -> Callable[[_Rows, Viewer], Iterator[tuple[str, View]]]:
    """Views that are the row itself (areas, postcodes)."""
    names = list(table_of(model).c.keys())

    def build(rows: _Rows, viewer: Viewer) -> Iterator[tuple[str, View]]:
        for row in rows(select(*_columns(model)), key):
            yield row[0], dict(zip(names, row, strict=False))

    return build


def _organisations(rows: _Rows, viewer: Viewer) -> Iterator[tuple[str, View]]:
    names = list(table_of(Organisation).c.keys())
    owners = rows.following(_linked(OrganisationOwner.organisation_id, OrganisationOwner.gemeente_code),
                            OrganisationOwner.organisation_id)
    for row in rows(_walked(Organisation), Organisation.id):
        values = dict(zip(names, row, strict=False))
        values["owners"] = owners.codes(row.key)
        yield row.id, {name: values[name] for name in OrganisationOut.model_fields}


def _locations(rows: _Rows, viewer: Viewer) -> Iterator[tuple[str, View]]:
    names = list(table_of(Location).c.keys())
    hours = rows.following(_linked(OpeningHours.location_id, *(table_of(OpeningHours).c[n] for n in _HOURS)),
                           OpeningHours.location_id, OpeningHours.weekday, OpeningHours.opens)
    exceptions = rows.following(
        _linked(OpeningException.location_id, *(table_of(OpeningException).c[n] for n in _EXCEPTION)),
        OpeningException.location_id, OpeningException.date,
    )
    for row in rows(_walked(Location), Location.id):
        values = dict(zip(names, row, strict=False))
        values["address"] = {name: values[name] for name in _ADDRESS}
        values["opening_hours"] = [dict(zip(_HOURS, hour[1:], strict=False)) for hour in hours.take(row.key)]
        values["exceptions"] = [dict(zip(_EXCEPTION, day[1:], strict=False)) for day in exceptions.take(row.key)]
        yield row.id, {name: values[name] for name in LocationOut.model_fields}


def _services(rows: _Rows, viewer: Viewer) -> Iterator[tuple[str, View]]:
    def codes(link: Any, column: Any) -> _Following:
        return rows.following(_linked(link.service_id, column), link.service_id)

    domains = codes(ServiceNeedDomain, ServiceNeedDomain.domain_code)
    groups = codes(ServiceTargetGroup, ServiceTargetGroup.group_code)
    areas = codes(ServiceArea, ServiceArea.area_code)
    owners = codes(ServiceOwner, ServiceOwner.gemeente_code)
    rules = rows.following(_linked(Eligibility.service_id, *(table_of(Eligibility).c[n] for n in _RULES)),
                           Eligibility.service_id)
    located = rows.following(
        _linked(ServiceLocation.service_id, Location.id)
        .join(Location, col(Location.id) == ServiceLocation.location_id).where(is_live(Location)),
        ServiceLocation.service_id, Location.name, Location.id,
    )
    # The view's own fields first, in order (zip stops there), then the waiting-time pair.
    for row in rows(_walked(Service, [*_SERVICE_OWN, "waiting_days", "waiting_reported_on"]), Service.id):
        key = row.key
        view = dict(zip(_SERVICE_OWN, row, strict=False))
        view["waiting_time"] = {"days": row.waiting_days, "reported_on": row.waiting_reported_on}
        rule = rules.take(key)
        view["need_domains"] = domains.codes(key)
        view["target_groups"] = groups.codes(key)
        view["areas"] = areas.codes(key)
        view["owners"] = owners.codes(key)
        view["eligibility"] = _rules(rule[0]) if rule else None
        view["location_ids"] = [link[1] for link in located.take(key)]  # type: ignore[misc]  # as in codes()
        yield row.id, view


def _rules(row: Row[Any]) -> View:
    rules: View = dict(zip(_RULES, row[1:], strict=False))
    rules["household_types"] = sorted(set(rules["household_types"]))  # as EligibilityRules keeps them
    return rules


def _contacts(rows: _Rows, viewer: Viewer) -> Iterator[tuple[str, View]]:
    """Direct lines go through app.visibility, as in every other view of a contact."""
    covers = rows.following(_linked(ContactArea.contact_id, ContactArea.area_code), ContactArea.contact_id)
    statement = _walked(Contact, _CONTACT_OWN).add_columns(current_clause(local_today()).label("is_current"))
    for row in rows(statement, Contact.id):
        view = redact_direct_lines(dict(zip(_CONTACT_OWN, row, strict=False)), viewer)
        view["is_current"] = row.is_current
        # Both times are read in one form (app/sync/columns.py), so they compare as read.
        reported, verified = view.pop("unreachable_reported_at"), view["last_verified_at"]
        view["reachability_uncertain"] = reachability_uncertain(reported, verified)  # type: ignore[arg-type]  # datetimes as read
        view["areas"] = covers.codes(row.key)
        yield row.id, view


def _front_doors(rows: _Rows, viewer: Viewer) -> Iterator[tuple[str, View]]:
    for row in rows(_walked(FrontDoor, _FRONT_DOOR_OWN), FrontDoor.id):
        yield row.id, dict(zip(_FRONT_DOOR_OWN, row, strict=False))


_BUILDERS: dict[EntityType, Callable[[_Rows, Viewer], Iterator[tuple[str, View]]]] = {
    EntityType.area: _plain(Area, Area.code),
    EntityType.postcode: _plain(Postcode4, Postcode4.pc4),
    EntityType.organisation: _organisations,
    EntityType.location: _locations,
    EntityType.service: _services,
    EntityType.contact: _contacts,
    EntityType.front_door: _front_doors,
}
# Kinds keyed by a code rather than a UUID.
_CODED = (EntityType.area, EntityType.postcode)


def views(
    connection: Connection, kind: EntityType, viewer: Viewer, ids: Iterable[str] | None = None
) -> Iterator[tuple[str, View]]:
    """(id, view) of every live entry of one kind in key order, or of those among `ids`."""
    keys = None if ids is None else [i if kind in _CODED else uuid.UUID(i) for i in ids]
    return _BUILDERS[kind](_Rows(connection, keys), viewer)
