"""`wijkkaart areas import`: the national area and postcode files, in one transaction.

Order of work: area lists (gemeenten, then wijken, then buurten; older years first), the
successor lists, points for new gemeenten, the PC4 lists, PC4s of retired gemeenten moved
to their successors, the PC6 tables, PC4 -> buurt links from points where no PC6 table
gave exact ones, and last the catalogue re-pointed (app.national.redivision).

Idempotent: every row is compared with what is stored, and only differences are written
(each with its change-log entry), so a second run reports nothing added or changed.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from app.areas.models import Area, AreaKind, Postcode4
from app.areas.reference import save_reference_rows
from app.areas.service import derive_pc4_buurten, parent_code_of
from app.clients.scope import Actor
from app.db import table_of
from app.errors import InvalidInput
from app.national import import_postcodes, redivision
from app.national.locate import GemeenteFinder
from app.national.redivision import RedivisionReport
from app.national.sources import AreaList, Pc4List, Pc6Table, Source, SuccessorList, expand_paths, read_source

ACTOR = Actor("cli:areas-import")
_KIND_ORDER = {AreaKind.gemeente: 0, AreaKind.wijk: 1, AreaKind.buurt: 2}
# (stage, rows done so far in it, rows in it): the CLI draws a bar from these.
Progress = Callable[[str, int, int], None]


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    retired: int = 0


@dataclass
class ImportSummary:
    files: list[str] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=dict)
    # Reason -> the codes it applies to; residential PC4s without a (current) gemeente among them.
    unresolved: dict[str, list[str]] = field(default_factory=dict)
    redivision: RedivisionReport = field(default_factory=RedivisionReport)

    def count(self, what: str) -> Counts:
        return self.counts.setdefault(what, Counts())

    @property
    def added(self) -> int:
        return sum(c.added for c in self.counts.values())

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.counts.values())

    @property
    def retired(self) -> int:
        return sum(c.retired for c in self.counts.values())

    def unresolved_pc4s(self) -> dict[str, list[str]]:
        return {why: codes for why, codes in self.unresolved.items() if why.startswith("PC4: ")}

    def lines(self) -> list[str]:
        out = [f"{what}: {c.added} added, {c.changed} changed, {c.retired} retired" for what, c in self.counts.items()]
        for why, codes in self.unresolved.items():
            shown = ", ".join(codes[:10]) + (", …" if len(codes) > 10 else "")
            out.append(f"unresolved, {why}: {len(codes)} ({shown})")
        report = self.redivision
        for moved in report.repointed:
            out.append(f"re-pointed {moved.entity_type} {moved.name} ({moved.id}): "
                       f"{', '.join(moved.before)} -> {', '.join(moved.after)}")
        if report.postcodes_moved:
            out.append(f"PC4s moved to a successor gemeente: {report.postcodes_moved}")
        out += [f"not re-pointed: {conflict}" for conflict in report.conflicts]
        for use in report.maintenance:
            out.append(f"maintenance: {use.entity_type} {use.name} ({use.id}) points at retired area {use.area_code}")
        out.append(f"total: {self.added} added, {self.changed} changed, {self.retired} retired, "
                   f"{sum(len(c) for c in self.unresolved.values())} unresolved")
        return out


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    pass


def read_sources(paths: Sequence[Path], year: int | None = None) -> tuple[list[str], list[Source]]:
    files = expand_paths(list(paths))
    if not files:
        raise InvalidInput("No files to import.", field="files")
    return [f.name for f in files], [source for path in files for source in read_source(path, year)]


def import_areas(
    session: Session, paths: Sequence[Path], actor: Actor = ACTOR, *, year: int | None = None,
    progress: Progress = _no_progress,
) -> ImportSummary:
    """Import the files (or directories of .csv files) in the caller's transaction."""
    summary = ImportSummary()
    summary.files, sources = read_sources(paths, year)
    area_lists = sorted((s for s in sources if isinstance(s, AreaList)), key=lambda s: (_KIND_ORDER[s.kind], s.year))
    pc4_lists = [s for s in sources if isinstance(s, Pc4List)]
    pc6_tables = [s for s in sources if isinstance(s, Pc6Table)]
    successors = [row for s in sources if isinstance(s, SuccessorList) for row in s.rows]
    for s in sources:
        if isinstance(s, SuccessorList) and s.problems:
            summary.unresolved.setdefault("successor list: rows without a year", []).extend(s.problems)
    provinces = {row.code: row.province for s in area_lists for row in s.rows if row.province}

    for number, area_list in enumerate(area_lists):
        progress(f"{area_list.kind} {area_list.year}", number, len(area_lists))
        _import_area_list(session, area_list, actor, summary)
    if successors:
        progress("successors", 0, 1)
        summary.count("successor").changed += len(redivision.apply_successors(session, successors, actor, summary.unresolved))
    summary.count("gemeente").changed += len(redivision.points_from_predecessors(session, actor))
    finder = GemeenteFinder(session, provinces)
    for pc4_list in pc4_lists:
        progress("PC4s", 0, len(pc4_list.rows))
        written = import_postcodes.import_pc4_list(session, pc4_list, finder, actor, summary.unresolved)
        summary.count("postcode4").added += written.added
        summary.count("postcode4").changed += written.changed
    summary.redivision.postcodes_moved = redivision.repoint_postcodes(session, finder, actor)
    summary.count("postcode4").changed += summary.redivision.postcodes_moved
    for table in pc6_tables:
        progress("PC6s", 0, len(table.buurt_of))
        written, links = import_postcodes.import_pc6_table(session, table, actor, summary.unresolved)
        summary.count("postcode6").added += written.added
        summary.count("postcode6").changed += written.changed
        summary.count("pc4_buurt_link").added += links
    if area_lists or pc4_lists:
        progress("PC4 -> buurt links", 0, 1)
        gemeenten = session.execute(select(col(Postcode4.gemeente_code)).distinct()).scalars().all()
        summary.count("pc4_buurt_link").added += derive_pc4_buurten(session, [g for g in gemeenten if g])
    summary.count("gemeente").changed += len(import_postcodes.points_from_postcodes(session, actor))
    progress("re-pointing the catalogue", 0, 1)
    summary.redivision = _keep_moved(redivision.repoint_catalogue(session, actor), summary.redivision.postcodes_moved)
    summary.counts = {what: counts for what, counts in summary.counts.items() if counts != Counts() or what in _SHOWN}
    return summary


_SHOWN = {"gemeente", "wijk", "buurt", "postcode4"}


def _keep_moved(report: RedivisionReport, postcodes_moved: int) -> RedivisionReport:
    report.postcodes_moved = postcodes_moved
    return report


def _import_area_list(session: Session, area_list: AreaList, actor: Actor, summary: ImportSummary) -> None:
    """Upsert one national list of one kind; from a list at least as new as any stored for
    its kind, codes it lacks retire in its year. An older list only adds history: a code
    seen earlier gets the earlier first_year; one not stored is added as retired in the
    newest known year (it is absent from that list)."""
    area = table_of(Area)
    kind, year = area_list.kind, area_list.year
    stored = {row.code: row for row in session.execute(select(area).where(area.c.kind == kind))}
    latest = max((y for row in stored.values() for y in (row.first_year, row.retired_year) if y), default=None)
    newer = latest is None or year >= latest
    parents = set(session.execute(select(area.c.code).where(area.c.kind == _parent_kind(kind))).scalars()) \
        if kind != AreaKind.gemeente else set()
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for item in area_list.rows:
        if item.code in seen:
            continue
        try:
            parent = parent_code_of(item.code)
        except InvalidInput:
            summary.unresolved.setdefault(f"{area_list.file}: not a CBS {kind} code", []).append(item.code)
            continue
        if parent is not None and parent not in parents:
            summary.unresolved.setdefault(
                f"{area_list.file}: its {_parent_kind(kind)} {parent[:2]}… is in no imported list", []
            ).append(item.code)
            continue
        seen.add(item.code)
        rows.append(_area_values(item, kind, parent, year, stored.get(item.code), newer, latest))
    if newer:
        rows += [
            {"code": code, "kind": kind, "parent_code": row.parent_code, "retired_year": year}
            for code, row in stored.items()
            if code not in seen and row.retired_year is None and (row.first_year or 0) <= year
        ]
    written = save_reference_rows(session, Area, rows, actor)
    counts = summary.count(kind)
    counts.added += len(written.created)
    for diff in written.changed.values():
        if diff.get("retired_year", [None, None])[1] is not None and diff["retired_year"][0] is None:
            counts.retired += 1
        else:
            counts.changed += 1


def _parent_kind(kind: AreaKind) -> AreaKind:
    return AreaKind.gemeente if kind == AreaKind.wijk else AreaKind.wijk


def _area_values(item, kind: AreaKind, parent: str | None, year: int, old, newer: bool,
                 latest: int | None) -> dict[str, object]:
    values: dict[str, object] = {"code": item.code, "kind": kind, "parent_code": parent}
    has_point = item.lat is not None and item.lon is not None
    if old is None:
        values.update(name=item.name, first_year=year, retired_year=None if newer else latest)
        if has_point:
            values.update(lat=item.lat, lon=item.lon)
        return values
    values["first_year"] = min(old.first_year or year, year)
    if newer:
        values.update(name=item.name, retired_year=None)
    if has_point and (newer or old.lat is None):
        values.update(lat=item.lat, lon=item.lon)
    return values
