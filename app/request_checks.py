"""What every route checks before FastAPI reads its parameters and body (CheckedRoute).

A body in a media type the route does not take is a 415 with `Accept` (`Accept-Patch` for
PATCH) listing those it does (RFC 9110 §15.5.16, RFC 5789 §2.2). FastAPI parses only JSON
types as JSON and hands anything else to the model as bytes, which it answered with a 422
about "a valid dictionary".

The media types are derived from what the route declares, once, when FastAPI builds its
handler: the body's (JSON), or those `openapi_extra` documents for a route that reads its
body itself (the import). A request then pays for one header comparison.

The FHIR routes do not use this class: they take no body.
"""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import params
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from app.errors import PROBLEM_MEDIA_TYPE, Problem, UnsupportedMediaType

JSON = "application/json"
_LONGEST_ECHOED = 100  # characters of a refused Content-Type repeated in the detail

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def media_type(content_type: str) -> str:
    """type/subtype of a Content-Type value, lower case; malformed, text/plain, as FastAPI
    (email.message) reads it, so that this check and FastAPI's parsing agree."""
    essence = content_type.partition(";")[0].strip().lower()
    return essence if essence.count("/") == 1 else "text/plain"


def is_json(essence: str) -> bool:
    """What FastAPI parses as JSON: application/json and every application/…+json
    (merge-patch, problem, fhir)."""
    return essence == JSON or (essence.startswith("application/") and essence.endswith("+json"))


@dataclass(frozen=True)
class BodyTypes:
    offered: tuple[str, ...]  # advertised, preferred first
    header: str  # Accept, or Accept-Patch for PATCH

    def takes(self, essence: str) -> bool:
        return essence in self.offered or (is_json(essence) and any(map(is_json, self.offered)))

    def refusal(self, sent: str | None) -> UnsupportedMediaType:
        takes = " or ".join(self.offered)
        if any(map(is_json, self.offered)):
            takes += " (any application/...+json type too)"
        was = f"not {sent[:_LONGEST_ECHOED]}" if sent else "and the body came without a Content-Type"
        return UnsupportedMediaType(
            f"This endpoint takes {takes}, {was}.", field="Content-Type",
            headers={self.header: ", ".join(self.offered)},
        )


def body_types(route: APIRoute) -> BodyTypes | None:
    """The media types the route's body may come in; None: it takes none, or a form,
    which FastAPI reads by its own rules."""
    declared = ((route.openapi_extra or {}).get("requestBody") or {}).get("content")
    if declared:  # a route that reads its body itself documents what it takes
        offered = tuple(declared)
    elif route.body_field is None or isinstance(route.body_field.field_info, params.Form):
        return None
    else:  # JSON; a PATCH declares application/merge-patch+json, and takes plain JSON as before
        declared_type = getattr(route.body_field.field_info, "media_type", JSON)
        offered = tuple(dict.fromkeys([declared_type, JSON]))
    return BodyTypes(offered, "Accept-Patch" if "PATCH" in route.methods else "Accept")


async def _refuse_media_type(request: Request, types: BodyTypes) -> None:
    sent = request.headers.get("content-type")
    if sent and types.takes(media_type(sent)):
        return
    # Read only here, on the way to a refusal; the route reads the same bytes (Request caches them).
    if await request.body():
        raise types.refusal(sent and media_type(sent))
    # No body: the route decides, as before (FastAPI reads an empty body as none).


def unsupported_media_type_response(types: BodyTypes) -> dict[str, Any]:
    return {
        "model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}},
        "description": f"The body is not in a media type this endpoint takes; `{types.header}` lists them.",
        "headers": {types.header: {"description": "The media types this endpoint takes.", "schema": {"type": "string"}}},
    }


class CheckedRoute(APIRoute):
    """An APIRoute that refuses a body in a media type it does not take (415) before its
    parameters are read and its dependencies solved: nothing is looked up, opened or
    written for such a request."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        # The body is known only once FastAPI has read the endpoint; then its 415 is documented.
        if (types := body_types(self)) is not None and 415 not in self.responses:
            kwargs["responses"] = {**(kwargs.get("responses") or {}), 415: unsupported_media_type_response(types)}
            super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Handler:
        handler = self.answering(super().get_route_handler())
        if (types := body_types(self)) is None:
            return handler

        async def checked(request: Request) -> Response:
            await _refuse_media_type(request, types)
            return await handler(request)

        return checked

    def answering(self, handler: Handler) -> Handler:
        """What answers a request that passed the checks: FastAPI's handler, unless a
        subclass answers some requests itself (app/search/router.py replays cached ones)."""
        return handler
