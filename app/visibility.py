"""Who may see contact persons' direct lines: the one mechanism every contact view uses.

Direct phone numbers, e-mail and secure-messaging addresses are professional data
(DOMAIN.md, privacy): authenticated professional clients see them, the anonymous
public gets them as null, with the response naming what was withheld. A request with a
bad key is refused (401), not served as anonymous.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.clients.auth import NOT_RECALLED, OptionalClient, principal_without_lookup

DIRECT_LINE_FIELDS = ("phone", "email", "secure_messaging")


@dataclass(frozen=True)
class Viewer:
    authenticated: bool

    @property
    def sees_direct_lines(self) -> bool:
        return self.authenticated


ANONYMOUS = Viewer(authenticated=False)


def _viewer_of(principal: object) -> Viewer:
    # Every role, reader and up, is a professional client.
    return ANONYMOUS if principal is None else Viewer(authenticated=True)


async def get_viewer(principal: OptionalClient) -> Viewer:
    return _viewer_of(principal)


def viewer_without_lookup(request: Request) -> Viewer | None:
    """The viewer of a read when it needs no database lookup (clients.auth.principal_without_lookup), else None."""
    principal = principal_without_lookup(request)
    return None if principal is NOT_RECALLED else _viewer_of(principal)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


def redact_direct_lines(values: dict[str, object], viewer: Viewer) -> dict[str, object]:
    """Null the direct-line fields the viewer may not see and list them under `redacted`."""
    if viewer.sees_direct_lines:
        return {**values, "redacted": []}
    # All three are named, set or not, so a redacted view does not reveal which exist.
    return {**values, **{name: None for name in DIRECT_LINE_FIELDS}, "redacted": list(DIRECT_LINE_FIELDS)}
