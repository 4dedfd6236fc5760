"""Who owns stored services, for the scope check of what is attached to them (contacts,
front doors); apart from service.py, which imports the contacts."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from functools import partial

from sqlmodel import Session, col, select

from app.entity import NO_OWNERS, Attachment, Ownership
from app.services.models import Service, ServiceOwner


def service_ownerships(session: Session, service_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Ownership]:
    """Who owns each of these services: its owners, within its organisation."""
    wanted = set(service_ids)
    organisation_of = dict(session.exec(select(Service.id, Service.organisation_id).where(col(Service.id).in_(wanted))).all())
    owners: defaultdict[uuid.UUID, set[str]] = defaultdict(set)
    for service_id, code in session.exec(
        select(ServiceOwner.service_id, ServiceOwner.gemeente_code).where(col(ServiceOwner.service_id).in_(wanted))
    ).all():
        owners[service_id].add(code)
    return {
        i: Ownership(gemeenten=frozenset(owners[i]), organisations=frozenset({organisation_of[i]}))
        if i in organisation_of else NO_OWNERS
        for i in wanted
    }


def service_attachment(session: Session, service_id: uuid.UUID | None, *, gives_owners: bool) -> Attachment:
    """An entry's `service_id`, for the scope check (app/clients/scope.py)."""
    return Attachment(
        "service_id", frozenset({service_id} - {None}),  # type: ignore[arg-type]  # the set difference drops None, which mypy cannot follow
        partial(service_ownerships, session), gives_owners=gives_owners,
    )
