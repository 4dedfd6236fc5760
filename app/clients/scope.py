"""Who may change which entries: the one check every write path makes (API, import, erase)."""

import uuid
from dataclasses import dataclass, field

from app.clients.models import Role
from app.entity import Ownership
from app.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    """An authenticated API client, as a request sees it."""

    client_id: uuid.UUID
    name: str
    role: Role
    gemeenten: frozenset[str] = frozenset()
    organisations: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an API client (with the staff member it acts for), or the
    system itself (`principal` None: the demo seed, the command line)."""

    name: str
    principal: Principal | None = None
    on_behalf_of: str | None = field(default=None)

    @classmethod
    def client(cls, principal: Principal, on_behalf_of: str | None = None) -> "Actor":
        return cls(name=f"client:{principal.name}", principal=principal, on_behalf_of=on_behalf_of)


def gemeente_of(area_code: str) -> str:
    """GM0687, WK068703 and BU06870301 all lie in GM0687."""
    return f"GM{area_code[2:6]}"


def authorize_write(actor: Actor, before: Ownership | None, after: Ownership | None) -> None:
    """Refuse (403) a change the actor may not make. `before` is None for a create,
    `after` None for a delete."""
    principal = actor.principal
    if principal is None or principal.role == Role.admin:
        return
    if principal.role != Role.editor:
        raise Forbidden(f"A {principal.role} key can read but not change the catalogue.")
    if before is not None:
        _within_scope(principal, before)
    if after is not None:
        _attached_within_scope(principal, before, after)
        _within_scope(principal, after)
    if before is not None and after is not None and before.gemeenten != after.gemeenten:
        raise Forbidden("Only an admin can change the gemeenten that own an entry.", field=after.gemeenten_field)
    if after is not None:
        added = after.areas - (before.areas if before else frozenset())
        outside = sorted(code for code in added if gemeente_of(code) not in after.gemeenten)
        if outside:
            raise Forbidden(
                f"Area(s) {', '.join(outside)} lie outside the owning gemeenten "
                f"{', '.join(sorted(after.gemeenten))}.",
                field=after.areas_field,
            )
        if before is None:
            _owners_own_or_shared(principal, after)


def _within_scope(principal: Principal, state: Ownership, what: str = "This entry", field: str | None = None) -> None:
    """`field`: the one naming an attached entry; else the entry's own owners are at fault."""
    if not state.gemeenten & principal.gemeenten:
        owners = ", ".join(sorted(state.gemeenten)) or "no gemeente (admins only)"
        raise Forbidden(
            f"{what} is owned by {owners}; this key maintains {', '.join(sorted(principal.gemeenten))}.",
            field=field or state.gemeenten_field,
        )
    if principal.organisations and not state.organisations <= principal.organisations:
        raise Forbidden(f"{what} is outside the organisations this key is limited to.",
                        field=field or state.organisations_field)


def _attached_within_scope(principal: Principal, before: Ownership | None, after: Ownership) -> None:
    """An entry is attached only to entries the key may write itself: else it would put its
    entries under another gemeente's organisation or at its locations, where that gemeente
    could neither change them nor delete its own. Links already made (by an admin) stay."""
    kept = {(attachment.field, i) for attachment in (before.attached if before else ()) for i in attachment.ids}
    for attachment in after.attached:
        added = frozenset(i for i in attachment.ids if (attachment.field, i) not in kept)
        if not added:
            continue
        owners = attachment.read_owners(added)
        for entry_id in sorted(added, key=str):
            _within_scope(principal, owners[entry_id], f"{attachment.field} {entry_id}", attachment.field)


def _owners_own_or_shared(principal: Principal, after: Ownership) -> None:
    """A new entry is owned by the key's own gemeenten, or also by those it shares with what
    it takes its owners from (a service in a regional organisation): making another
    gemeente co-owner without its consent is for admins."""
    others = after.gemeenten - principal.gemeenten
    if not others:
        return
    shared = {
        code
        for attachment in after.attached if attachment.gives_owners
        for owners in attachment.read_owners(attachment.ids).values()
        for code in owners.gemeenten
    }
    if outside := sorted(others - shared):
        raise Forbidden(
            f"Only an admin can make {', '.join(outside)} an owner; this key maintains "
            f"{', '.join(sorted(principal.gemeenten))}.",
            field=after.gemeenten_field,
        )
