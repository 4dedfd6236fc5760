"""Locations: reads and the one save path."""

import uuid
from collections.abc import Iterable
from datetime import date, time
from typing import Any

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.areas.models import Postcode4, PostcodeKind
from app.changelog.service import EntityType, record_save
from app.clients.scope import Actor, authorize_write
from app.entity import (
    NO_OWNERS,
    Ownership,
    get_live,
    is_live,
    load_for_save,
    require_reference,
    require_unique_external_id,
)
from app.errors import InvalidInput
from app.locations.models import Location, OpeningException, OpeningHours
from app.locations.opening import DatedHours, OpeningTimes, WeeklyHours
from app.locations.schemas import Address, LocationOut, LocationWrite, OpeningExceptionIn, OpeningInterval
from app.organisations.models import Organisation
from app.organisations.service import organisation_attachment, organisation_owners, organisation_ownerships
from app.pagination import keyset_page

LOCATION_LOAD = (selectinload(Location.opening_hours), selectinload(Location.exceptions))  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values


_OUT_FIELDS = (
    "id", "external_id", "organisation_id", "name", "lat", "lon", "accessibility_note",
    "version", "created_at", "updated_at", "last_verified_at",
)


def to_out(location: Location | Any) -> LocationOut:
    """From a Location, or any record with its attributes (app.entity.as_record).

    Built without validation: every value was validated when it was written, and a search
    page builds twenty of these (validating the hours would take a tenth of a search)."""
    return LocationOut.model_construct(
        **{name: getattr(location, name) for name in _OUT_FIELDS},
        address=Address.model_construct(
            street=location.street, house_number=location.house_number,
            postcode=location.postcode, city=location.city,
        ),
        opening_hours=[OpeningInterval.model_construct(weekday=h.weekday, opens=h.opens, closes=h.closes)
                       for h in location.opening_hours],
        exceptions=[OpeningExceptionIn.model_construct(date=e.date, opens=e.opens, closes=e.closes, note=e.note)
                    for e in location.exceptions],
    )


def opening_times(card: dict[str, Any]) -> OpeningTimes:
    """A location's search card (app/search/cards.py) read as opening_state reads a Location."""
    def moment(value: str | None) -> time | None:
        return time.fromisoformat(value) if value else None

    return OpeningTimes(
        tuple(WeeklyHours(h["weekday"], time.fromisoformat(h["opens"]), time.fromisoformat(h["closes"]))
              for h in card["opening_hours"]),
        tuple(DatedHours(date.fromisoformat(e["date"]), moment(e["opens"]), moment(e["closes"]))
              for e in card["exceptions"]),
    )


def as_write(location: Location) -> LocationWrite:
    out = to_out(location)
    return LocationWrite(
        **out.model_dump(include={"id", "organisation_id", "name", "lat", "lon", "accessibility_note",
                                  "opening_hours", "exceptions", "last_verified_at"}),
        **out.address.model_dump(),
        external_id=location.external_id,  # from the entry itself: a view may leave it out
    )


def get_location(session: Session, location_id: uuid.UUID) -> LocationOut:
    return to_out(get_live(session, Location, location_id, LOCATION_LOAD))


def list_locations(
    session: Session, *, organisation_id: uuid.UUID | None, cursor: str | None, limit: int
) -> tuple[list[LocationOut], str | None]:
    statement = select(Location).where(is_live(Location)).options(*LOCATION_LOAD)
    if organisation_id:
        statement = statement.where(Location.organisation_id == organisation_id)
    rows, next_cursor = keyset_page(
        session, statement, scope="locations", order=[Location.name, Location.id],  # type: ignore[list-item]  # SQLModel types columns and relationships as their Python values
        cursor=cursor, limit=limit,
    )
    return [to_out(row) for row in rows], next_cursor


def ownership(session: Session, data: LocationWrite) -> Ownership:
    """A location belongs to its organisation's gemeenten; one without an organisation only admins maintain."""
    return Ownership(
        gemeenten=organisation_owners(session, data.organisation_id),
        organisations=frozenset({data.organisation_id}) if data.organisation_id else frozenset(),
        attached=(organisation_attachment(session, data.organisation_id, gives_owners=True),),
        gemeenten_field="organisation_id",
    )


def location_ownerships(session: Session, location_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Ownership]:
    """Who owns each of these locations, as ownership() says (for the services linked to them)."""
    wanted = set(location_ids)
    organisation_of = dict(session.exec(
        select(Location.id, Location.organisation_id).where(col(Location.id).in_(wanted))
    ).all())
    owners = organisation_ownerships(session, {o for o in organisation_of.values() if o is not None})
    return {i: owners[organisation] if (organisation := organisation_of.get(i)) else NO_OWNERS for i in wanted}


def _require_visiting_postcode(session: Session, data: LocationWrite, before: LocationWrite | None) -> None:
    """A location is where people go: a PC4 that serves PO boxes only is a mistake. Checked when
    the postcode is set or changed, so a stored location that breaks the rule can still be saved.
    (A PC4 the reference data does not hold is let through: it may be loaded for a few regions.)"""
    if data.postcode is None or (before is not None and before.postcode == data.postcode):
        return
    pc4 = session.get(Postcode4, data.postcode[:4])
    if pc4 is not None and pc4.kind == PostcodeKind.po_box:
        raise InvalidInput(
            f"Postcode {data.postcode} serves PO boxes (postbus) only: a location needs its visiting address.",
            field="postcode",
        )


def save_location(session: Session, data: LocationWrite, actor: Actor) -> tuple[Location, bool]:
    require_reference(session, Organisation, data.organisation_id, "organisation_id")
    entity_id = data.id or uuid.uuid4()
    data = data.model_copy(update={"id": entity_id})
    existing = load_for_save(session, Location, data.id, LOCATION_LOAD)
    before = as_write(existing) if existing else None
    after = ownership(session, data)
    authorize_write(actor, ownership(session, before) if before else None, after)
    if existing is not None and before == data:
        return existing, False
    _require_visiting_postcode(session, data, before)
    require_unique_external_id(session, Location, entity_id, data.external_id)
    location = existing or Location(id=entity_id, lat=data.lat, lon=data.lon, name=data.name)
    for name, value in data.model_dump(exclude={"id", "opening_hours", "exceptions"}).items():
        setattr(location, name, value)
    location.opening_hours = [OpeningHours(**h.model_dump()) for h in data.opening_hours]
    location.exceptions = [OpeningException(**e.model_dump()) for e in data.exceptions]
    record_save(session, EntityType.location, location, actor, before, data, after.gemeenten)
    return location, True
