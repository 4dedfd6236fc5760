"""Bulk import: files in, every row through its entry's own save path, all or nothing.

A batch is applied kind by kind (organisations, locations, services, contacts, front
doors), a chunk of rows at a time, inside one savepoint of the caller's transaction. Every
row is validated, scope-checked and logged as a write through the API would be. Bad rows
are collected, not raised one by one: when there is any, or for a dry run, the savepoint
is rolled back, so the database is left exactly as it was.
"""

import itertools
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from app.clients.scope import Actor
from app.db import scratch_session
from app.entity import live_by_external_id, load_for_save
from app.errors import DomainError, InvalidInput
from app.folding import nfc, nfc_everywhere
from app.imports import csv_layout
from app.imports.batch import KINDS, Batch, Row, merged_write
from app.imports.csv_layout import ENTITIES, LAYOUTS, fold_term
from app.imports.reading import Source, SourceError, count_rows, csv_rows, entity_of, json_document, json_items
from app.imports.schemas import ImportReport, RowError
from app.imports.service_batch import save_services
from app.maintenance.kinds import Maintained

CHUNK = 1000  # rows checked and written together; the session is emptied after each
Progress = Callable[[int], None]


@dataclass
class Part:
    """The rows of one kind of entry from one file."""

    entity: str
    file: str
    rows: Iterator[Row | RowError]
    total: int


# --- reading files into parts ------------------------------------------------------------


def _csv_part(source: Source, entity: str) -> Part:
    def rows() -> Iterator[Row | RowError]:
        lines = csv_rows(source.stream)
        try:
            _, header = next(lines, (0, []))
            columns, problems = csv_layout.header_columns(entity, header)
            if problems:
                yield from (RowError(entity=entity, file=source.name, row=1, field=name, message=message)
                            for name, message in problems)
                return
            for number, cells in lines:
                # NFC before anything looks at them: a row is matched on its external_id by equality.
                patch, problems = csv_layout.row_patch(entity, columns, [nfc(cell) for cell in cells])
                yield from (RowError(entity=entity, file=source.name, row=number, field=name, message=message)
                            for name, message in problems)
                yield Row(entity, source.name, number, patch, csv=True, reported={name for name, _ in problems})
        except SourceError as exc:  # e.g. a byte no encoding we read knows, halfway
            yield RowError(entity=entity, file=source.name, row=None, field="file", message=f"{source.name} {exc}")

    return Part(entity, source.name, rows(), count_rows(source.stream))


def _json_parts(document: Any, file: str, entity: str | None = None) -> list[Part]:
    parts = []
    for kind, items in json_document(document, entity).items():
        label = f"{file}:{kind}" if file != "body" else kind

        def rows(kind: str = kind, items: list[Any] = items, label: str = label) -> Iterator[Row | RowError]:
            for number, item in enumerate(items, 1):
                if isinstance(item, dict):
                    yield Row(kind, label, number, nfc_everywhere(item), csv=False)
                else:
                    yield RowError(entity=kind, file=label, row=number, field="row", message="must be an object")

        parts.append(Part(kind, label, rows(), len(items)))
    return parts


def read_sources(sources: Iterable[Source]) -> tuple[list[Part], list[RowError]]:
    """Parts in import order; files that cannot be read at all are errors."""
    parts: list[Part] = []
    errors: list[RowError] = []
    for source in sources:
        entity = source.entity or entity_of(source.name)
        try:
            if source.is_json:
                parts += _json_parts(json_items(source), source.name, entity)
            elif entity is None:
                raise SourceError(
                    f"does not say what it holds: name it after one of {', '.join(ENTITIES)} (e.g. services.csv)"
                )
            else:
                parts.append(_csv_part(source, entity))
        except SourceError as exc:
            errors.append(RowError(entity=entity, file=source.name, row=None, field="file", message=f"{source.name} {exc}"))
    parts.sort(key=lambda part: ENTITIES.index(part.entity))
    return parts, errors


def json_parts(document: Any) -> list[Part]:
    """The parts of a JSON request body. Raises InvalidInput."""
    try:
        parts = _json_parts(document, "body")
    except SourceError as exc:
        raise InvalidInput(f"The body {exc}.", field="body") from exc
    return sorted(parts, key=lambda part: ENTITIES.index(part.entity))


# --- applying -------------------------------------------------------------------------------


def run_import(
    session: Session, parts: list[Part], actor: Actor, *, dry_run: bool = False,
    errors: Iterable[RowError] = (), progress: Progress | None = None,
) -> ImportReport:
    """Apply the parts in one savepoint; any bad row (or `errors` from reading) rolls it
    all back and raises InvalidInput listing every bad row. A dry run rolls back too and
    reports what the import would do; it writes through a scratch session, so that no
    other writer waits for it (app.db.scratch_session)."""
    if dry_run:
        with scratch_session(session) as scratch:
            return _run(scratch, parts, actor, dry_run=True, errors=errors, progress=progress)
    return _run(session, parts, actor, dry_run=False, errors=errors, progress=progress)


def _run(
    session: Session, parts: list[Part], actor: Actor, *, dry_run: bool, errors: Iterable[RowError],
    progress: Progress | None,
) -> ImportReport:
    batch = Batch(session, actor, errors=list(errors), dry_run=dry_run)
    savepoint = session.begin_nested()
    try:
        for part in parts:
            stream = iter(part.rows)
            while chunk := list(itertools.islice(stream, CHUNK)):
                _apply_chunk(batch, part.entity, chunk)
                session.expunge_all()  # keep memory flat: written rows need no objects
                if progress:
                    progress(sum(isinstance(item, Row) for item in chunk))
    except BaseException:
        savepoint.rollback()
        raise
    if batch.errors or dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    if batch.errors:
        batch.errors.sort(key=lambda e: (ENTITIES.index(e.entity) if e.entity else -1, e.file, e.row or 0))
        first = batch.errors[0]
        where = f"{first.file}" + (f" row {first.row}" if first.row else "")
        raise InvalidInput(
            f"{len(batch.errors)} problem(s); nothing was imported. First: {where}, {first.field}: {first.message}",
            field=first.field, errors=[error.model_dump() for error in batch.errors],
        )
    return ImportReport(
        dry_run=dry_run, counts=batch.counts, changes=batch.changes, changes_truncated=batch.changes_truncated
    )


def _apply_chunk(batch: Batch, entity: str, chunk: list[Row | RowError]) -> None:
    rows, unreadable = [], []
    for item in chunk:
        if isinstance(item, RowError):
            batch.errors.append(item)
        elif item.bad:
            batch.remember_bad(item)
            unreadable.append(item)
        else:
            rows.append(item)
    identified = _identify(batch, entity, rows)
    # The references of rows with unreadable cells are checked too, to be reported with them.
    writable = [row for row in _resolve_references(batch, entity, identified + unreadable) if not row.bad]
    unresolved = [row for row in identified if row.bad]
    if entity == "services":
        _codes_by_label(batch, writable)
        save_services(batch, writable)
    else:
        _save_each(batch, KINDS[entity], writable)
    _check_the_rest(batch, entity, unreadable + unresolved)


def _check_the_rest(batch: Batch, entity: str, rows: list[Row]) -> None:
    """Check the other fields of rows already found bad (a cell that could not be read, a
    reference to nothing) by the schema's rules, against the entry each would change. Such a
    row is never written; this completes its report, so that a steward fixes every fault of
    a row in one try."""
    if not rows:
        return
    kind = KINDS[entity]
    stored = live_by_external_id(batch.session, kind.model, {
        row.patch["external_id"] for row in rows if row.id is None and isinstance(row.patch.get("external_id"), str)
    })
    for row in rows:
        given = row.patch.get("id")
        entry_id = row.id or (_uuid(str(given)) if given else stored.get(row.patch.get("external_id")))  # type: ignore[arg-type]
        try:
            before = batch.session.get(kind.model, entry_id, options=kind.load) if entry_id else None
            merged_write(kind, kind.as_write(before) if before is not None else None, row)
        except ValidationError as exc:
            batch.fail_validation(row, exc)


def _codes_by_label(batch: Batch, rows: list[Row]) -> None:
    """Need domains and target groups may be named by their Dutch label ("Financiën") as
    well as their code; a name that is neither stays, for the save to refuse."""
    for row in rows:
        places = [(row.patch, "need_domains", "need_domains"), (row.patch, "target_groups", "target_groups")]
        if isinstance(rules := row.patch.get("eligibility"), dict):
            places.append((rules, "required_target_group", "target_groups"))
        for holder, name, table in places:
            terms, value = batch.table_terms[table], holder.get(name)
            if isinstance(value, str):
                holder[name] = terms.get(fold_term(value), value)
            elif isinstance(value, list):
                holder[name] = [terms.get(fold_term(v), v) if isinstance(v, str) else v for v in value]


def _identify(batch: Batch, entity: str, rows: list[Row]) -> list[Row]:
    """Give every row the id of the entry it writes: its `id`, else the live entry with its
    `external_id`, else a new one. An entry may appear once per batch."""
    model = KINDS[entity].model
    unknown = {
        row.patch["external_id"] for row in rows
        if not row.patch.get("id") and isinstance(row.patch.get("external_id"), str)
        and row.patch["external_id"] not in batch.external[entity]
    }
    stored = live_by_external_id(batch.session, model, unknown)
    identified = []
    for row in rows:
        given, external_id = row.patch.get("id"), row.patch.get("external_id")
        try:
            if given:
                row.id = given if isinstance(given, uuid.UUID) else uuid.UUID(str(given))
            elif isinstance(external_id, str):
                row.id = batch.external[entity].get(external_id) or stored.get(external_id) or uuid.uuid4()
            else:
                row.id = uuid.uuid4()
        except ValueError:
            batch.fail(row, "id", f"not a UUID: {given!r}")
            continue
        if (earlier := batch.seen[entity].get(row.id)) is not None:
            batch.fail(row, "id" if given else "external_id",
                       f"the same entry as {earlier.file} row {earlier.number}; an entry may appear once per import")
            continue
        if isinstance(external_id, str) and batch.external[entity].setdefault(external_id, row.id) != row.id:
            other = batch.seen[entity][batch.external[entity][external_id]]
            batch.fail(row, "external_id", f"{other.file} row {other.number} has this external_id for another entry")
            continue
        batch.seen[entity][row.id] = row.where
        identified.append(row)
    return identified


def _resolve_references(batch: Batch, entity: str, rows: list[Row]) -> list[Row]:
    """References by external id become ids: of an entry earlier in this batch, else of a
    stored live entry; a UUID that is no one's external id stays as it is."""
    columns = [column for column in LAYOUTS[entity] if column.refers_to]
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for column in columns:
            for value in _values(row.patch.get(column.name)):
                if value not in batch.external[column.refers_to]:  # type: ignore[index]  # `columns` holds only columns with refers_to
                    wanted[column.refers_to].add(value)  # type: ignore[index]  # `columns` holds only columns with refers_to
    stored = {target: live_by_external_id(batch.session, KINDS[target].model, values) for target, values in wanted.items()}
    resolved = []
    for row in rows:
        problems = []
        for column in columns:
            cell = row.patch.get(column.name)
            if cell is None or column.refers_to is None:
                continue
            ids = []
            for key in _values(cell):
                found = batch.external[column.refers_to].get(key) or stored[column.refers_to].get(key)
                if found is None:
                    found = _uuid(key)
                if found is None:
                    bad = batch.bad_keys[column.refers_to].get(key)
                    what = column.refers_to.removesuffix("s").replace("_", " ")
                    problems.append((column.name, f"refers to the {what} of {bad.file} row {bad.number}, which is bad" if bad
                                     else f"no {what} with id or external_id {key!r}"))
                ids.append(found)
            if None not in ids:  # else the value stays as sent, for the schema check to see it given (_check_the_rest)
                row.patch[column.name] = ids if isinstance(cell, list) else ids[0]
        if problems:
            for name, message in problems:
                batch.fail(row, name, message)
        else:
            resolved.append(row)
    return resolved


def _values(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [] if value is None else [str(value)]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _save_each(batch: Batch, kind: Maintained, rows: list[Row]) -> None:
    """Row by row through the kind's save path (the one the API uses)."""
    for row in rows:
        try:
            before = load_for_save(batch.session, kind.model, row.id, kind.load)
            before_write = kind.as_write(before) if before is not None else None
            data = merged_write(kind, before_write, row)
            _, changed = kind.save(batch.session, data, batch.actor)
        except ValidationError as exc:
            batch.fail_validation(row, exc)
            continue
        except DomainError as exc:
            batch.fail_domain(row, exc)
            continue
        batch.done(row, data, before_write, changed)
