"""Importing postcodes: the PC4 list (with each PC4's gemeente found) and the CBS PC6 table."""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update
from sqlmodel import Session, col

from app import dialect
from app.areas.models import Area, AreaKind, Postcode4, Postcode4Buurt, Postcode6, PostcodeKind
from app.areas.reference import save_reference_rows, stored_rows
from app.clients.scope import Actor
from app.db import table_of
from app.national.locate import GemeenteFinder
from app.national.sources import Pc4List, Pc6Table

_PC4 = re.compile(r"^[1-9][0-9]{3}$")
_PC6 = re.compile(r"^[1-9][0-9]{3}[A-Z]{2}$")
_CHUNK = 2000


@dataclass
class Written:
    added: int = 0
    changed: int = 0


def import_pc4_list(
    session: Session, pc4s: Pc4List, finder: GemeenteFinder, actor: Actor, unresolved: dict[str, list[str]],
) -> Written:
    """Save every PC4 of the list with its gemeente. A PC4 whose gemeente is not found keeps
    the one it had; residential ones are listed as unresolved with the reason (a PO-box-only
    PC4 needs no gemeente)."""
    stored = stored_rows(session, Postcode4, [row.pc4 for row in pc4s.rows])
    rows = []
    for row in pc4s.rows:
        if not _PC4.match(row.pc4):
            unresolved.setdefault(f"{pc4s.file}: not a PC4", []).append(row.pc4)
            continue
        if row.lat is None or row.lon is None:
            unresolved.setdefault(f"{pc4s.file}: PC4 without a point", []).append(row.pc4)
            continue
        code, why = finder.find(row.gemeente_name, row.province, row.lat, row.lon)
        values: dict[str, object] = {"pc4": row.pc4, "place": row.place, "lat": row.lat, "lon": row.lon, "kind": row.kind}
        if code is not None:
            values["gemeente_code"] = code
        elif row.pc4 not in stored:
            values["gemeente_code"] = None
        if why and row.kind != PostcodeKind.po_box:
            unresolved.setdefault(f"PC4: {why}", []).append(row.pc4)
        rows.append(values)
    written = save_reference_rows(session, Postcode4, rows, actor)
    return Written(len(written.created), len(written.changed))


def import_pc6_table(
    session: Session, table: Pc6Table, actor: Actor, unresolved: dict[str, list[str]]
) -> tuple[Written, int]:
    """Each PC6 gets the buurt most of its addresses lie in; its PC4 gets those buurten as
    exact links (dropping the approximate ones derived from points), and a gemeente if it
    had none. Returns the PC6s written and the PC4 links added."""
    pc4_codes = sorted({pc6[:4] for pc6 in table.buurt_of})
    known_pc4 = stored_rows(session, Postcode4, pc4_codes)
    buurt_codes = sorted(set(table.buurt_of.values()))
    known_buurten = set(stored_rows(session, Area, buurt_codes))
    wanted: dict[str, str] = {}
    for pc6, buurt in sorted(table.buurt_of.items()):
        if not _PC6.match(pc6):
            unresolved.setdefault(f"{table.file}: not a PC6", []).append(pc6)
        elif pc6[:4] not in known_pc4:
            unresolved.setdefault(f"{table.file}: PC6 of a PC4 not in any PC4 list", []).append(pc6)
        elif buurt not in known_buurten:
            year = f" of {table.year}" if table.year else ""
            unresolved.setdefault(f"{table.file}: buurt not among the areas (import the buurten{year})", []).append(pc6)
        else:
            wanted[pc6] = buurt
    written = _save_pc6s(session, wanted)
    links = _save_exact_links(session, wanted)
    _fill_pc4_gemeenten(session, table, wanted, known_pc4, actor)
    return written, links


def _save_pc6s(session: Session, wanted: dict[str, str]) -> Written:
    pc6_table = table_of(Postcode6)
    stored: dict[str, str] = {}
    keys = list(wanted)
    for start in range(0, len(keys), _CHUNK):
        for pc6, buurt in session.execute(
            select(pc6_table.c.pc6, pc6_table.c.buurt_code).where(pc6_table.c.pc6.in_(keys[start:start + _CHUNK]))
        ):
            stored[pc6] = buurt
    inserts = [{"pc6": pc6, "pc4": pc6[:4], "buurt_code": buurt, "lat": None, "lon": None}
               for pc6, buurt in wanted.items() if pc6 not in stored]
    changes = [{"k": pc6, "b": buurt} for pc6, buurt in wanted.items() if pc6 in stored and stored[pc6] != buurt]
    dialect.insert_rows(session, pc6_table, inserts)
    if changes:
        session.execute(
            update(pc6_table).where(pc6_table.c.pc6 == bindparam("k")).values(buurt_code=bindparam("b")), changes
        )
    return Written(len(inserts), len(changes))


def _save_exact_links(session: Session, wanted: dict[str, str]) -> int:
    links_table = table_of(Postcode4Buurt)
    exact: defaultdict[str, set[str]] = defaultdict(set)
    for pc6, buurt in wanted.items():
        exact[pc6[:4]].add(buurt)
    pc4s = sorted(exact)
    stored: dict[tuple[str, str], bool] = {}
    for start in range(0, len(pc4s), _CHUNK):
        for pc4, buurt, approximate in session.execute(
            select(links_table.c.pc4, links_table.c.buurt_code, links_table.c.approximate)
            .where(links_table.c.pc4.in_(pc4s[start:start + _CHUNK]))
        ):
            stored[(pc4, buurt)] = approximate
    wanted_links = {(pc4, buurt) for pc4, buurten in exact.items() for buurt in buurten}
    drop = [{"p": pc4, "b": buurt} for (pc4, buurt) in stored if (pc4, buurt) not in wanted_links]
    make_exact = [{"p": pc4, "b": buurt} for key in wanted_links if stored.get(key) for pc4, buurt in [key]]
    added = [{"pc4": pc4, "buurt_code": buurt, "approximate": False} for pc4, buurt in sorted(wanted_links - stored.keys())]
    where = (links_table.c.pc4 == bindparam("p")) & (links_table.c.buurt_code == bindparam("b"))
    if drop:
        session.execute(delete(links_table).where(where), drop)
    if make_exact:
        session.execute(update(links_table).where(where).values(approximate=False), make_exact)
    dialect.insert_rows(session, links_table, added)
    return len(added)


def _fill_pc4_gemeenten(
    session: Session, table: Pc6Table, wanted: dict[str, str], known_pc4: dict, actor: Actor
) -> None:
    votes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for pc6 in wanted:
        if gemeente := table.gemeente_of.get(pc6):
            votes[pc6[:4]][gemeente] += 1
    candidates = {pc4: max(sorted(v), key=v.__getitem__) for pc4, v in votes.items() if known_pc4[pc4].gemeente_code is None}
    known = set(stored_rows(session, Area, sorted(set(candidates.values()))))
    rows = [{"pc4": pc4, "gemeente_code": code} for pc4, code in sorted(candidates.items()) if code in known]
    save_reference_rows(session, Postcode4, rows, actor)


def points_from_postcodes(session: Session, actor: Actor) -> list[str]:
    """A current gemeente still without a point gets the middle of its residential PC4s."""
    pointless = session.execute(
        select(col(Area.code)).where(
            col(Area.kind) == AreaKind.gemeente, col(Area.lat).is_(None), col(Area.retired_year).is_(None)
        )
    ).scalars().all()
    if not pointless:
        return []
    sums: defaultdict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for code, lat, lon in session.execute(select(col(Postcode4.gemeente_code), col(Postcode4.lat), col(Postcode4.lon)).where(
        col(Postcode4.gemeente_code).in_(pointless), col(Postcode4.kind) != PostcodeKind.po_box,
    )):
        total = sums[code]
        total[0], total[1], total[2] = total[0] + lat, total[1] + lon, total[2] + 1
    rows = [{"code": code, "kind": AreaKind.gemeente, "parent_code": None,
             "lat": round(s[0] / s[2], 6), "lon": round(s[1] / s[2], 6)} for code, s in sorted(sums.items())]
    written = save_reference_rows(session, Area, rows, actor)
    return [*written.created, *written.changed]
