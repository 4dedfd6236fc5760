"""Areas and postcodes: lookups, resolution and the PC4 -> buurt derivation."""

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.areas.models import Area, AreaKind, Postcode4, Postcode4Buurt, Postcode6, PostcodeKind
from app.areas.reference import save_reference_rows
from app.areas.schemas import AreaOut, AreaRef, BuurtRef, PostcodeOut
from app.clients.scope import Actor
from app.db import table_of
from app.dialect import insert_rows
from app.errors import InvalidInput, NotFound, PostcodeNotResidential
from app.postcode import normalise_postcode

_CODE_SHAPES = {
    "GM": (AreaKind.gemeente, re.compile(r"^GM[0-9]{4}$")),
    "WK": (AreaKind.wijk, re.compile(r"^WK[0-9]{4}[0-9A-Z]{2}$")),
    "BU": (AreaKind.buurt, re.compile(r"^BU[0-9]{4}[0-9A-Z]{4}$")),
}


def area_kind_of(code: str, field: str = "code") -> AreaKind:
    """The kind a CBS code denotes; refuses anything that is not GM/WK/BU-shaped."""
    shape = _CODE_SHAPES.get(code[:2])
    if shape is None or not shape[1].match(code):
        raise InvalidInput(
            f"'{code}' is not a CBS area code: expected GM + 4 digits, WK + 6 or BU + 8 characters "
            "(digits or capital letters after the gemeente's 4 digits).",
            field=field,
        )
    return shape[0]


def parent_code_of(code: str) -> str | None:
    """GM0687 -> None, WK068700 -> GM0687, BU06870000 -> WK068700."""
    kind = area_kind_of(code)
    if kind is AreaKind.gemeente:
        return None
    return ("GM" + code[2:6]) if kind is AreaKind.wijk else ("WK" + code[2:8])


def _ref(area: Area | Any) -> AreaRef:
    return AreaRef(code=area.code, kind=area.kind, name=area.name)


def get_area(session: Session, code: str) -> AreaOut:
    area_kind_of(code)
    area = session.get(Area, code)
    if area is None:
        raise NotFound(f"No area with code {code}.", field="code")
    parent = session.get(Area, area.parent_code) if area.parent_code else None
    children = session.exec(select(Area).where(Area.parent_code == code).order_by(Area.code)).all()
    return AreaOut(
        **area.model_dump(exclude={"parent_code", "version"}),
        parent=_ref(parent) if parent else None,
        children=[_ref(child) for child in children],
    )


def area_specificity(buurten: list[str], wijken: list[str], gemeente: str | None) -> dict[str, int]:
    """Area code -> how specifically it covers a place: 0 buurt, 1 wijk, 2 gemeente."""
    return {**({gemeente: 2} if gemeente else {}), **dict.fromkeys(wijken, 1), **dict.fromkeys(buurten, 0)}


def require_areas(session: Session, codes: Iterable[str], field: str) -> None:
    """422 unless every code is well-formed and known."""
    wanted = set(codes)
    for code in wanted:
        area_kind_of(code, field)
    found = set(session.exec(select(Area.code).where(col(Area.code).in_(wanted))).all())
    if missing := sorted(wanted - found):
        raise InvalidInput(f"Unknown area code(s): {', '.join(missing)}.", field=field)


# Prebuilt Core statements: search resolves a postcode on every request, and rows cost
# far less than ORM instances. The buurten, their wijken and the gemeente come in one query.
_pc4, _pc6, _link, _area = (table_of(m) for m in (Postcode4, Postcode6, Postcode4Buurt, Area))
# The PC4 with its buurt links (one row per link; buurt_code null without links).
_PC4 = (
    core_select(_pc4, _link.c.buurt_code, _link.c.approximate)
    .outerjoin(_link, _link.c.pc4 == _pc4.c.pc4)
    .where(_pc4.c.pc4 == bindparam("pc4"))
)
_PC6 = core_select(_pc6).where(_pc6.c.pc6 == bindparam("pc6"))
_AREAS = core_select(_area.c.code, _area.c.kind, _area.c.name, _area.c.parent_code).where(
    _area.c.code.in_(bindparam("codes", expanding=True))
)


def resolve_postcode(session: Session, raw: str, field: str = "postcode") -> PostcodeOut:
    """The postcode's point and areas; `field` names it in the problem when it is refused."""
    postcode = normalise_postcode(raw, field)
    rows = session.execute(_PC4, {"pc4": postcode[:4]}).all()
    pc4 = rows[0] if rows else None
    if pc4 is None:
        raise NotFound(f"Postcode {postcode[:4]} is not known to the wijkkaart.", field=field)
    if pc4.kind == PostcodeKind.po_box:
        raise PostcodeNotResidential(
            f"Postcode {pc4.pc4} is used for PO boxes (postbus) only: nobody lives there.",
            field=field,
        )
    pc6 = session.execute(_PC6, {"pc6": postcode}).first() if len(postcode) == 6 else None
    if pc6 is not None:
        buurt_links = [(pc6.buurt_code, False)]
        lat, lon = (pc6.lat, pc6.lon) if pc6.lat is not None and pc6.lon is not None else (pc4.lat, pc4.lon)
    else:
        buurt_links = [(row.buurt_code, row.approximate) for row in rows if row.buurt_code is not None]
        lat, lon = pc4.lat, pc4.lon
    buurt_codes = [code for code, _ in buurt_links]
    # A buurt's wijk is in its code (the area table's check constraint holds it to that).
    codes = [*buurt_codes, *(parent_code_of(code) for code in buurt_codes), pc4.gemeente_code]
    areas = {a.code: a for a in session.execute(_AREAS, {"codes": [c for c in codes if c]})}
    buurten = {code: areas[code] for code in buurt_codes if code in areas}
    wijk_codes = sorted({b.parent_code for b in buurten.values() if b.parent_code})
    wijken = [areas[code] for code in wijk_codes if code in areas]
    gemeente = areas.get(pc4.gemeente_code) if pc4.gemeente_code else None
    return PostcodeOut(
        postcode=postcode,
        pc4=pc4.pc4,
        resolved_via="pc6" if pc6 is not None else "pc4",
        place=pc4.place,
        lat=lat,
        lon=lon,
        gemeente=_ref(gemeente) if gemeente else None,
        wijken=[_ref(w) for w in wijken],
        buurten=[
            BuurtRef(**_ref(buurten[code]).model_dump(), approximate=approximate)
            for code, approximate in sorted(buurt_links)
            if code in buurten
        ],
    )


def _distance_sq(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Equirectangular: ample for ranking points a few kilometres apart.
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return x * x + y * y


def derive_pc4_buurten(session: Session, gemeente_codes: Iterable[str]) -> int:
    """Link each residential PC4 to buurten of its gemeente, from points alone.

    Without the CBS PC6 table only points are known, so: every buurt goes to the
    PC4 whose centroid is nearest (a Voronoi split of the gemeente), and every PC4
    also gets the buurt nearest to its own centroid, so none is left without one.
    All such links are flagged approximate; PC4s with links from real data (the PC6
    table) are left alone. A gemeente formed by a re-division has the buurten of its
    predecessors until CBS's next buurt list: those count as its own.
    Returns the number of links written.
    """
    gemeenten = list(gemeente_codes)
    exact = select(Postcode4Buurt.pc4).where(Postcode4Buurt.approximate.is_(False))  # type: ignore[attr-defined]  # SQLModel types columns and relationships as their Python values
    pc4s = session.exec(
        select(Postcode4).where(
            col(Postcode4.gemeente_code).in_(gemeenten), Postcode4.kind != PostcodeKind.po_box,
            col(Postcode4.pc4).not_in(exact),
        )
    ).all()
    owner = {code: [code] for code in gemeenten}
    for code, successors in session.exec(select(Area.code, Area.successor_codes).where(
        Area.kind == AreaKind.gemeente, col(Area.retired_year).is_not(None)
    )).all():
        if mine := [s for s in successors or () if s in owner]:
            owner.setdefault(code, []).extend(mine)
    wijk_codes = select(Area.code).where(col(Area.parent_code).in_(list(owner)))
    buurten = session.exec(
        select(Area).where(
            col(Area.parent_code).in_(wijk_codes), Area.retired_year.is_(None), Area.lat.is_not(None)  # type: ignore[union-attr]  # SQLModel types columns and relationships as their Python values
        )
    ).all()
    by_gemeente: dict[str, list[Area]] = defaultdict(list)
    for buurt in buurten:
        for gemeente in owner.get("GM" + buurt.code[2:6], []):
            by_gemeente[gemeente].append(buurt)
    links: set[tuple[str, str]] = set()
    pc4_by_gemeente: dict[str, list[Postcode4]] = defaultdict(list)
    for pc4 in pc4s:
        pc4_by_gemeente[pc4.gemeente_code or ""].append(pc4)
    for gemeente, candidates in by_gemeente.items():
        codes = pc4_by_gemeente.get(gemeente, [])
        if not codes:
            continue
        for buurt in candidates:
            nearest = min(codes, key=lambda p: _distance_sq(p.lat, p.lon, buurt.lat, buurt.lon))  # type: ignore[arg-type]  # only PC4s and buurten with a point reach this
            links.add((nearest.pc4, buurt.code))
        for pc4 in codes:
            nearest_buurt = min(candidates, key=lambda b: _distance_sq(pc4.lat, pc4.lon, b.lat, b.lon))  # type: ignore[arg-type]  # only PC4s and buurten with a point reach this
            links.add((pc4.pc4, nearest_buurt.code))
    existing = {
        (link.pc4, link.buurt_code): link
        for link in session.exec(select(Postcode4Buurt).where(col(Postcode4Buurt.pc4).in_([p.pc4 for p in pc4s]))).all()
    }
    for key, link in existing.items():
        if link.approximate and key not in links:
            session.delete(link)
    session.flush()
    added = [{"pc4": pc4, "buurt_code": buurt, "approximate": True} for pc4, buurt in sorted(links - existing.keys())]
    insert_rows(session, table_of(Postcode4Buurt), added)
    return len(added)


def save_area(session: Session, values: dict[str, object], actor: Actor) -> bool:
    """Insert or update one area from reference data; logs a change only when something changed."""
    code = str(values["code"])
    kind = area_kind_of(code)
    if values.get("kind", kind) != kind or values.get("parent_code") != parent_code_of(code):
        raise InvalidInput(f"Area {code}: kind or parent does not match its code.", field="code")
    return bool(save_reference_rows(session, Area, [values], actor))


def save_postcode4(session: Session, values: dict[str, object], actor: Actor) -> bool:
    return bool(save_reference_rows(session, Postcode4, [values], actor))
