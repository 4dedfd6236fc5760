"""HTTP caching: ETags, conditional requests and Cache-Control, in one place.

An entity's ETag is `"<version>-<digest>"`: the version is what If-Match checks (no lost
updates), the digest of the representation makes If-None-Match exact, also when what
the entry embeds (a service's contacts) or what the caller may see (direct lines) differs.
Every response about an entity (a read, a write, a 412) tags it this one way.
"""

import hashlib
import re
from typing import Any

from fastapi import Depends, Request, Response
from pydantic import BaseModel

from app.errors import PreconditionRequired

# A version is a 64-bit counter: a longer number is no tag this API issued (and int() of
# thousands of digits raises).
_TAG = re.compile(r'^"([0-9]{1,18})(?:-[0-9a-f]+)?"$')
REFERENCE_SECONDS = 3600  # areas, postcodes, taxonomy: change with yearly CBS files
LIST_SECONDS = 60  # lists and search: a minute-old answer is fine mid-consultation


def entity_tag(out: BaseModel) -> str:
    digest = hashlib.sha256(out.model_dump_json().encode()).hexdigest()[:16]
    return f'"{out.version}-{digest}"'  # type: ignore[attr-defined]  # every entity's out schema has a version; BaseModel does not say so


def conditional(request: Request, response: Response, out: BaseModel) -> Any:
    """The entity with its ETag, or a 304 when the client's copy (If-None-Match) is current."""
    tag = entity_tag(out)
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = "private, no-cache" if "authorization" in request.headers else "public, no-cache"
    sent = request.headers.get("if-none-match", "")
    if tag in {t.strip().removeprefix("W/") for t in sent.split(",")} or sent.strip() == "*":
        return Response(status_code=304, headers={k: v for k, v in response.headers.items() if k != "content-length"})
    return out


def expected_versions(if_match: str | None, *, required: bool = True) -> frozenset[int] | None:
    """The versions an If-Match names: 428 when it is missing (where required) or is `*`,
    which would give up the protection against lost updates. Tags this API never issued
    (weak ones included: If-Match compares strongly) match no version."""
    if if_match is None or not if_match.strip():
        if required:
            raise PreconditionRequired(
                "Send the ETag you read in If-Match, so a change made meanwhile is not overwritten.",
                field="If-Match",
            )
        return None
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" in tags:
        raise PreconditionRequired(
            "If-Match: * would overwrite whatever is stored; send the ETag you read.", field="If-Match"
        )
    return frozenset(int(match.group(1)) for tag in tags if (match := _TAG.match(tag)))


def cache_headers(request: Request, seconds: int) -> dict[str, str]:
    """GET answers may be kept this long (0: not at all); anything else is never stored.
    Responses depend on the key (direct lines), hence Vary."""
    if request.method not in ("GET", "HEAD") or seconds == 0:
        return {"Vary": "Authorization", "Cache-Control": "no-store"}
    audience = "private" if "authorization" in request.headers else "public"
    return {"Vary": "Authorization", "Cache-Control": f"{audience}, max-age={seconds}"}


def cache_for(seconds: int) -> Any:
    """A router dependency that sets cache_headers on the response."""

    async def policy(request: Request, response: Response) -> None:
        response.headers.update(cache_headers(request, seconds))

    return Depends(policy)
