"""What one import has seen so far, and how a row becomes a write body."""

import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, select

from app.changelog.service import changed_fields
from app.clients.scope import Actor
from app.errors import DomainError, invalid_input
from app.imports import csv_layout
from app.imports.csv_layout import ENTITIES, fold_term
from app.imports.schemas import Counts, RowChange, RowError
from app.maintenance.kinds import CONTACT, FRONT_DOOR, LOCATION, ORGANISATION, SERVICE, Maintained
from app.maintenance.service import merge_patch
from app.taxonomy.models import NeedDomain, TargetGroup

KINDS: dict[str, Maintained] = {
    "organisations": ORGANISATION, "locations": LOCATION, "services": SERVICE,
    "contacts": CONTACT, "front_doors": FRONT_DOOR,
}
LISTED = 1000  # changes listed in a report


class Where(NamedTuple):
    file: str
    number: int


@dataclass
class Row:
    entity: str
    file: str
    number: int
    patch: dict[str, Any]
    csv: bool
    id: uuid.UUID | None = None
    reported: set[str] = field(default_factory=set)  # its fields reported bad so far

    @property
    def bad(self) -> bool:
        return bool(self.reported)

    @property
    def where(self) -> "Where":
        return Where(self.file, self.number)

    def field_name(self, location: Iterable[Any]) -> str:
        """A schema error's location as the file names it: the CSV column, or the JSON path."""
        parts = [str(part) for part in location]
        return csv_layout.column_of(self.entity, parts) if self.csv else ".".join(parts) or "row"


@dataclass
class Batch:
    """What one import has seen so far, across files and chunks."""

    session: Session
    actor: Actor
    errors: list[RowError] = field(default_factory=list)
    # A dry run lists no id for a new entry without its own: the import would give it another.
    dry_run: bool = False
    counts: dict[str, Counts] = field(default_factory=lambda: {entity: Counts() for entity in ENTITIES})
    changes: list[RowChange] = field(default_factory=list)
    changes_truncated: bool = False
    # Per entity: the entries this batch writes (id -> its row), external ids -> ids
    # (so later rows can refer to entries created earlier), and the keys of bad rows.
    # Where is a (file, row number) pair, not the Row: a batch of 100,000 rows must not keep them all.
    seen: dict[str, dict[uuid.UUID, "Where"]] = field(default_factory=lambda: defaultdict(dict))
    external: dict[str, dict[str, uuid.UUID]] = field(default_factory=lambda: defaultdict(dict))
    bad_keys: dict[str, dict[str, "Where"]] = field(default_factory=lambda: defaultdict(dict))

    @functools.cached_property
    def table_terms(self) -> dict[str, dict[str, str]]:
        """Need domains and target groups by their code or Dutch label, as fold_term folds them."""
        return {
            table: {
                fold_term(word): code
                for code, label in self.session.exec(select(model.code, model.label)) for word in (code, label)
            }
            for table, model in (("need_domains", NeedDomain), ("target_groups", TargetGroup))
        }

    def fail(self, row: Row, field_name: str, message: str) -> None:
        self.errors.append(RowError(entity=row.entity, file=row.file, row=row.number, field=field_name, message=message))
        row.reported.add(field_name)
        self.remember_bad(row)

    def remember_bad(self, row: Row) -> None:
        """Keep a bad row's keys, so that rows referring to it can say why they fail too."""
        for key in (row.patch.get("id"), row.patch.get("external_id")):
            if isinstance(key, str):
                self.bad_keys[row.entity].setdefault(key, row.where)
        # A row that got no id (a cell of it was bad) took no external id, and may share it
        # with no entry this batch knows.
        external_id = row.patch.get("external_id")
        if row.id is not None and isinstance(external_id, str) and self.external[row.entity].get(external_id) == row.id:
            del self.external[row.entity][external_id]

    def fail_domain(self, row: Row, exc: DomainError) -> None:
        # The save paths name the field at fault; a refusal that names none is the row's.
        self.fail(row, exc.field or "row", exc.detail)

    def fail_validation(self, row: Row, exc: ValidationError) -> None:
        # By pydantic's location, which a rule on the whole entry (a contact needs a service or an
        # organisation) leaves empty: the row's, where the API's problem says "request". A field
        # reported already (a cell that could not be read is missing here) is not reported twice.
        already = set(row.reported)
        for error, reported in zip(exc.errors(), invalid_input(exc).extra["errors"], strict=True):
            if (name := row.field_name(error["loc"])) not in already:
                self.fail(row, name, reported["message"])

    def done(self, row: Row, data: BaseModel, before: BaseModel | None, changed: bool) -> None:
        counts = self.counts[row.entity]
        if not changed:
            counts.unchanged += 1
            return
        if before is None:
            counts.created += 1
        else:
            counts.updated += 1
        if len(self.changes) >= LISTED:
            self.changes_truncated = True
            return
        drawn = before is None and not row.patch.get("id")  # a new entry's id, drawn at random
        self.changes.append(RowChange(
            entity=row.entity, file=row.file, row=row.number, id=None if drawn and self.dry_run else row.id,
            external_id=getattr(data, "external_id", None),
            action="update" if before else "create",
            fields=sorted(changed_fields(before, data)) if before is not None else [],
        ))


def merged_write(kind: Maintained, before: BaseModel | None, row: Row) -> BaseModel:
    """The row applied to the stored entry (its columns replace, the rest stays), validated
    by the entry's write schema. Raises ValidationError."""
    base = before.model_dump() if before is not None else {}
    return kind.write_schema.model_validate(merge_patch(base, row.patch | {"id": row.id}))
