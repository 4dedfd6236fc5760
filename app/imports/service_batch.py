"""Services in bulk: a chunk of rows through the steps of services.save_service, each
done once for the whole chunk instead of once per row.

The rules are save_service's own: the write schema, validate_references (a query per
kind of reference for the chunk; on a bad reference, row by row to name the rows),
plan_save (owners, the scope check), the no-op check and the external-id rule. Only the
writing differs: multi-row statements instead of ORM objects and a flush per row, the
change log through record_changes, and the search index written once per chunk. A
service saved here is stored exactly as save_service stores it (tests/imports/test_import.py
compares the two).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app import dialect
from app.changelog.service import Action, Change, EntityType, changed_fields, record_changes
from app.db import table_of, utcnow
from app.entity import Ownership, live_by_external_id, refuse_deleted, require_unique_external_id
from app.errors import DomainError, InvalidInput
from app.imports.batch import Batch, Row, merged_write
from app.maintenance.kinds import SERVICE as KIND
from app.organisations.models import Organisation
from app.search import cards
from app.search.index import writer
from app.search.text import domain_labels_in_order, service_words
from app.services.models import (
    Eligibility,
    Service,
    ServiceArea,
    ServiceLocation,
    ServiceNeedDomain,
    ServiceOwner,
    ServiceTargetGroup,
)
from app.services.schemas import ServiceWrite
from app.services.service import SERVICE_COLUMNS, SERVICE_LOAD, as_write, plan_save, validate_references

# Link table -> (its code column, the ServiceWrite field that lists the codes).
_LINKS: tuple[tuple[Any, str, str], ...] = (
    (ServiceNeedDomain, "domain_code", "need_domains"),
    (ServiceTargetGroup, "group_code", "target_groups"),
    (ServiceArea, "area_code", "areas"),
    (ServiceOwner, "gemeente_code", "owners"),
    (ServiceLocation, "location_id", "location_ids"),
)


@dataclass
class _Staged:
    row: Row
    data: ServiceWrite
    existing: Service | None
    before: ServiceWrite | None = None
    after: Ownership | None = None

    @property
    def version(self) -> int:
        """The version it is saved as: 1, or one more than the stored one."""
        return 1 if self.existing is None else self.existing.version + 1


def save_services(batch: Batch, rows: list[Row]) -> None:
    session = batch.session
    stored = {
        service.id: service
        for service in session.exec(
            select(Service).where(col(Service.id).in_([row.id for row in rows])).options(*SERVICE_LOAD).with_for_update()
        ).all()
    }
    staged = []
    for row in rows:
        existing = stored.get(row.id)  # type: ignore[arg-type]  # a row without an id finds nothing, as intended
        try:
            if existing is not None:
                refuse_deleted(existing)
            data = merged_write(KIND, as_write(existing) if existing else None, row)
        except ValidationError as exc:
            batch.fail_validation(row, exc)
            continue
        except DomainError as exc:
            batch.fail_domain(row, exc)
            continue
        staged.append(_Staged(row, data, existing))  # type: ignore[arg-type]  # merged_write returns the kind's write schema, ServiceWrite here
    organisations, staged = _checked_references(batch, staged)
    external_ids = live_by_external_id(session, Service, {s.data.external_id for s in staged if s.data.external_id})
    writes = []
    for item in staged:
        try:
            item.data, item.before, item.after = plan_save(
                session, item.data, item.existing, organisations[item.data.organisation_id], batch.actor
            )
            if item.existing is not None and item.before == item.data:
                batch.done(item.row, item.data, item.before, changed=False)
                continue
            require_unique_external_id(session, Service, item.data.id, item.data.external_id, external_ids)  # type: ignore[arg-type]  # plan_save gave every row its id
        except DomainError as exc:
            batch.fail_domain(item.row, exc)
            continue
        writes.append(item)
    # Written even when the batch already has bad rows (it will be rolled back): later
    # rows may refer to these entries, and must not be reported bad for want of them.
    _write(session, writes, organisations, batch)


def _checked_references(batch: Batch, staged: list[_Staged]) -> tuple[dict[uuid.UUID, Organisation], list[_Staged]]:
    try:
        return validate_references(batch.session, [item.data for item in staged]), staged
    except InvalidInput:
        pass
    organisations: dict[uuid.UUID, Organisation] = {}
    valid = []
    for item in staged:
        try:
            organisations |= validate_references(batch.session, [item.data])
        except InvalidInput as exc:
            batch.fail_domain(item.row, exc)
            continue
        valid.append(item)
    return organisations, valid


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    dialect.insert_rows(session, table_of(model), rows)


def _write(
    session: Session, writes: Sequence[_Staged], organisations: dict[uuid.UUID, Organisation], batch: Batch
) -> None:
    if not writes:
        return
    now = utcnow()
    # Read before the update, which refreshes the loaded services it changes.
    versions = {item.data.id: item.version for item in writes}
    created = [item for item in writes if item.existing is None]
    updated = [item for item in writes if item.existing is not None]
    if created:
        _insert(session, Service, [
            {**item.data.model_dump(include=SERVICE_COLUMNS), "id": item.data.id, "version": 1,
             "created_at": now, "updated_at": now}
            for item in created
        ])
    if updated:
        session.execute(update(Service), [
            {**item.data.model_dump(include=SERVICE_COLUMNS), "id": item.data.id,
             "version": versions[item.data.id], "updated_at": now}
            for item in updated
        ])
        # Links are replaced whole; the rows that stay come back as they were.
        ids = [item.data.id for item in updated]
        for table in (*(link for link, _, _ in _LINKS), Eligibility):
            session.execute(delete(table).where(col(table.service_id).in_(ids)))
    for table, column, name in _LINKS:
        _insert(session, table, [{"service_id": item.data.id, column: code}
                                 for item in writes for code in getattr(item.data, name) or ()])
    _insert(session, Eligibility, [
        {"service_id": item.data.id, **item.data.eligibility.model_dump(mode="json")} for item in writes if item.data.eligibility
    ])
    record_changes(session, batch.actor, [
        Change(
            EntityType.service, item.data.id, versions[item.data.id],
            Action.create if item.existing is None else Action.update,
            changes=changed_fields(item.before, item.data), gemeenten=item.after.gemeenten,  # type: ignore[union-attr]  # plan_save set `after` for every planned write
        )
        for item in writes
    ], publish=False)
    # What the change log's hook would derive, from what is at hand: it would read back
    # every service just written.
    labels = domain_labels_in_order(session)
    writer.store_imported_services(
        session,
        {
            item.data.id: cards.service_card(  # type: ignore[misc]  # plan_save gave every row its id
                item.data, organisations[item.data.organisation_id].name, item.data.need_domains,
                item.data.target_groups, item.data.eligibility,
            )
            for item in writes
        },
        {
            item.data.id: service_words(  # type: ignore[misc]  # plan_save gave every row its id
                item.data.name, item.data.description, organisations[item.data.organisation_id].name,
                [label for code, label in labels if code in item.data.need_domains],
            )
            for item in writes
        },
        new={item.data.id for item in created},  # type: ignore[misc]  # plan_save gave every new row its id
    )
    for item in writes:
        batch.done(item.row, item.data, item.before, changed=True)
