"""Storing each service's stems, the documents the text search reads (app/search/text.py
makes them, app/dialect/fulltext.py keeps them per database)."""

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import exists, or_
from sqlmodel import Session, col, select

from app.dialect import fulltext
from app.organisations.models import Organisation
from app.search.index import chunks
from app.search.text import service_words
from app.services.models import Service, ServiceNeedDomain
from app.taxonomy.models import NeedDomain


def refresh(session: Session, service_ids: Iterable[uuid.UUID]) -> None:
    """Write the documents of these services anew; a deleted or vanished service's goes.
    In chunks: after a migration that is every service, more ids than a statement may bind."""
    for chunk in chunks(sorted(set(service_ids)), 500):
        _refresh(session, set(chunk))


def _refresh(session: Session, ids: set[uuid.UUID]) -> None:
    rows = session.exec(
        select(Service.id, Service.name, Service.description, Organisation.name)
        .join(Organisation, col(Organisation.id) == Service.organisation_id)
        .where(col(Service.id).in_(ids), col(Service.deleted_at).is_(None))
    ).all()
    labels: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    for service_id, label in session.exec(
        select(ServiceNeedDomain.service_id, NeedDomain.label)
        .join(NeedDomain, col(NeedDomain.code) == ServiceNeedDomain.domain_code)
        .where(col(ServiceNeedDomain.service_id).in_(ids))
        .order_by(col(NeedDomain.position))
    ):
        labels[service_id].append(label)
    fulltext.upsert_search_documents(session, {
        service_id: service_words(name, description, organisation_name, labels[service_id])
        for service_id, name, description, organisation_name in rows
    })
    fulltext.delete_search_documents(session, ids - {row[0] for row in rows})


def stale(session: Session) -> list[uuid.UUID]:
    """The services whose document is missing, kept without name stems, or kept though the
    service is deleted or gone."""
    service_id, _ = fulltext.search_stems(session.get_bind().dialect.name)
    name_stems = fulltext.search_name_stems(session.get_bind().dialect.name)
    # NOT EXISTS rather than NOT IN: PostgreSQL runs a NOT IN over a subquery too large for
    # work_mem as a nested loop (200,000 services went past the statement timeout).
    live = col(Service.deleted_at).is_(None)
    missing = select(col(Service.id)).where(live, ~exists().where(service_id == col(Service.id)))
    kept_wrongly = select(service_id).where(
        or_(name_stems.is_(None), ~exists().where(col(Service.id) == service_id, live))
    )
    return list(session.scalars(missing.union(kept_wrongly)))


def all_services(session: Session) -> list[uuid.UUID]:
    """Every service that has or should have a document."""
    service_id, _ = fulltext.search_stems(session.get_bind().dialect.name)
    return list(session.scalars(select(col(Service.id)).union(select(service_id))))
