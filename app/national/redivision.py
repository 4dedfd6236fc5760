"""Re-division (herindeling): successors of retired codes, and moving what pointed at them.

A newer year's list retires the codes it no longer holds (app.national.importer). A successor
list (old code -> new code, year) says where a retired code went. With successors, the
catalogue follows: service areas and owners, organisation owners, contact coverage and
front doors are re-pointed through their own save paths (one version and change-log
entry each, so syncing HIS clients see them), and PC4s move to the successor gemeente.
What cannot follow (no successor, a split, a front door that would collide) stays where
it is and is listed as maintenance work: the stale report's retired-area uses.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.areas.models import Area, Postcode4
from app.areas.reference import Written, save_reference_rows, stored_rows
from app.clients.scope import Actor
from app.contacts.models import ContactArea
from app.db import table_of
from app.entity import is_live
from app.front_doors import service as front_doors
from app.front_doors.models import FrontDoor
from app.maintenance import kinds
from app.maintenance.schemas import RetiredAreaUse
from app.maintenance.stale import retired_area_uses
from app.national.locate import GemeenteFinder
from app.national.sources import Successor
from app.organisations.models import OrganisationOwner
from app.services.models import ServiceArea, ServiceOwner


@dataclass
class Repointed:
    """One catalogue entry whose areas moved to successors."""

    entity_type: str
    id: uuid.UUID
    name: str
    before: list[str]
    after: list[str]


@dataclass
class RedivisionReport:
    repointed: list[Repointed] = field(default_factory=list)
    postcodes_moved: int = 0
    # What could not follow automatically (entity, why).
    conflicts: list[str] = field(default_factory=list)
    # Entries still pointing at retired areas: the maintenance work left.
    maintenance: list[RetiredAreaUse] = field(default_factory=list)

    @property
    def services(self) -> list[Repointed]:
        return [r for r in self.repointed if r.entity_type == "service"]


def apply_successors(
    session: Session, successors: list[Successor], actor: Actor, unresolved: dict[str, list[str]]
) -> list[str]:
    """Record each old code's successors (the list replaces what was stored for the codes it
    names). A retired code's retirement year becomes the re-division's year when that is
    earlier: the yearly lists only say it was gone by then. Returns the codes changed."""
    by_old: defaultdict[str, list[Successor]] = defaultdict(list)
    for item in successors:
        if item.old_code != item.new_code:  # a gemeente that absorbs others keeps its code
            by_old[item.old_code].append(item)
    stored = stored_rows(session, Area, [*by_old, *(i.new_code for items in by_old.values() for i in items)])
    rows = []
    for old, items in sorted(by_old.items()):
        if old not in stored:
            unresolved.setdefault("successor list: old code not among the areas", []).append(old)
            continue
        if missing := sorted({i.new_code for i in items} - stored.keys()):
            unresolved.setdefault("successor list: new code not among the areas", []).extend(missing)
        new = sorted({i.new_code for i in items} & stored.keys())
        if not new:
            continue
        row = stored[old]
        values = {"code": old, "kind": row.kind, "parent_code": row.parent_code, "successor_codes": new}
        year = min(i.year for i in items)
        if row.retired_year is not None and year < row.retired_year and year > (row.first_year or 0):
            values["retired_year"] = year
        rows.append(values)
    return _changed_or_created(save_reference_rows(session, Area, rows, actor))


def _changed_or_created(written: Written) -> list[str]:
    return [*written.created, *written.changed]


def points_from_predecessors(session: Session, actor: Actor) -> list[str]:
    """A current gemeente without a point (the CBS list has none) gets the middle of its
    predecessors' points. Returns the codes given a point."""
    area = table_of(Area)
    gemeenten = session.execute(core_select(
        area.c.code, area.c.lat, area.c.lon, area.c.retired_year, area.c.successor_codes, area.c.parent_code,
        area.c.kind,
    ).where(area.c.kind == "gemeente")).all()
    points: defaultdict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in gemeenten:
        if row.retired_year is not None and row.lat is not None and row.lon is not None:
            for successor in row.successor_codes or ():
                points[successor].append((row.lat, row.lon))
    rows = [
        {"code": row.code, "kind": row.kind, "parent_code": None,
         "lat": round(sum(p[0] for p in points[row.code]) / len(points[row.code]), 6),
         "lon": round(sum(p[1] for p in points[row.code]) / len(points[row.code]), 6)}
        for row in gemeenten if row.lat is None and row.retired_year is None and points.get(row.code)
    ]
    return _changed_or_created(save_reference_rows(session, Area, rows, actor))


def repoint_postcodes(session: Session, finder: GemeenteFinder, actor: Actor) -> int:
    """PC4s of a retired gemeente with successors move to the successor (the nearest, if it split)."""
    moved = [code for code, info in finder.gemeenten.items() if info.retired and info.successors]
    if not moved:
        return 0
    rows = []
    for pc4 in session.execute(core_select(table_of(Postcode4)).where(
        col(Postcode4.gemeente_code).in_(moved)
    )):
        current = finder.current(pc4.gemeente_code, pc4.lat, pc4.lon)
        if current != pc4.gemeente_code:
            rows.append({"pc4": pc4.pc4, "gemeente_code": current})
    return len(save_reference_rows(session, Postcode4, rows, actor).changed)


def _successor_map(session: Session) -> dict[str, list[str]]:
    """Retired code -> its current successors (followed through later re-divisions)."""
    rows = session.execute(select(Area.code, Area.successor_codes).where(col(Area.retired_year).is_not(None))).all()
    direct = {code: list(successors) for code, successors in rows if successors}
    resolved: dict[str, list[str]] = {}
    for code in direct:
        out: list[str] = []
        stack, seen = [code], {code}
        while stack:
            for successor in direct.get(stack.pop(), []):
                if successor in seen:
                    continue
                seen.add(successor)
                (stack if successor in direct else out).append(successor)
        resolved[code] = sorted(out)
    return {code: out for code, out in resolved.items() if out}


def _moved(codes: list[str], successors: dict[str, list[str]]) -> list[str]:
    return sorted({new for code in codes for new in successors.get(code, [code])})


def repoint_catalogue(session: Session, actor: Actor) -> RedivisionReport:
    """Move service areas and owners, organisation owners, contact coverage and front doors
    from retired codes to their successors, each through its save path."""
    report = RedivisionReport()
    successors = _successor_map(session)
    if successors:
        old = list(successors)
        _repoint_services(session, actor, successors, old, report)
        _repoint_organisations(session, actor, successors, old, report)
        _repoint_contacts(session, actor, successors, old, report)
        _repoint_front_doors(session, actor, successors, old, report)
    report.maintenance = retired_area_uses(session, None)
    return report


def _repoint_services(session: Session, actor: Actor, successors: dict[str, list[str]], old: list[str],
                      report: RedivisionReport) -> None:
    ids = select(ServiceArea.service_id).where(col(ServiceArea.area_code).in_(old)).union(
        select(ServiceOwner.service_id).where(col(ServiceOwner.gemeente_code).in_(old)))
    _repoint(session, actor, successors, report, kinds.SERVICE, ids, ("areas", "owners"))


def _repoint_organisations(session: Session, actor: Actor, successors: dict[str, list[str]], old: list[str],
                           report: RedivisionReport) -> None:
    ids = select(OrganisationOwner.organisation_id).where(col(OrganisationOwner.gemeente_code).in_(old))
    _repoint(session, actor, successors, report, kinds.ORGANISATION, ids, ("owners",))


def _repoint_contacts(session: Session, actor: Actor, successors: dict[str, list[str]], old: list[str],
                      report: RedivisionReport) -> None:
    ids = select(ContactArea.contact_id).where(col(ContactArea.area_code).in_(old))
    _repoint(session, actor, successors, report, kinds.CONTACT, ids, ("areas",))


def _repoint(session: Session, actor: Actor, successors: dict[str, list[str]], report: RedivisionReport,
             kind: kinds.Maintained, ids: Any, fields: tuple[str, ...]) -> None:
    """Move the area-code lists `fields` of the live entries among `ids` to their successors,
    through the kind's own save path; the report shows the first field before and after."""
    model: Any = kind.model
    for entry in session.exec(
        select(model).where(col(model.id).in_(ids), is_live(model)).options(*kind.load).order_by(model.name, model.id)
    ).all():
        data = kind.as_write(entry)
        moved = {name: _moved(getattr(data, name) or [], successors) for name in fields}
        _, changed = kind.save(session, data.model_copy(update=moved), actor)
        if changed:
            shown = fields[0]
            report.repointed.append(
                Repointed(kind.entity_type, entry.id, entry.name, sorted(getattr(data, shown) or []), moved[shown])
            )


def _repoint_front_doors(session: Session, actor: Actor, successors: dict[str, list[str]], old: list[str],
                         report: RedivisionReport) -> None:
    """A front door has one area: it moves when its area has one successor and no live door
    there has its topic yet; else it stays (and shows in the maintenance list)."""
    doors = session.exec(
        select(FrontDoor).where(col(FrontDoor.area_code).in_(old), is_live(FrontDoor))
        .order_by(col(FrontDoor.area_code), col(FrontDoor.topic), col(FrontDoor.id))
    ).all()
    targets = {new for door in doors for new in successors[door.area_code]}
    taken = {
        (area_code, topic) for area_code, topic in session.execute(
            select(FrontDoor.area_code, FrontDoor.topic).where(col(FrontDoor.area_code).in_(targets), is_live(FrontDoor))
        )
    }
    for door in doors:
        new = successors[door.area_code]
        if len(new) != 1:
            report.conflicts.append(
                f"front door {door.topic} of {door.area_code} ({door.id}): the area split into {', '.join(new)}; choose one"
            )
            continue
        if (new[0], door.topic) in taken:
            report.conflicts.append(
                f"front door {door.topic} of {door.area_code} ({door.id}): {new[0]} already has a front door for it"
            )
            continue
        data = front_doors.as_write(door)
        front_doors.save_front_door(session, data.model_copy(update={"area_code": new[0]}), actor)
        taken.add((new[0], door.topic))
        report.repointed.append(Repointed("front_door", door.id, f"front door {door.topic}", [data.area_code], new))
