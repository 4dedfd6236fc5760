"""What every route checks before FastAPI reads its parameters and body (CheckedRoute).

- A body in a media type the route does not take is a 415 with `Accept` (`Accept-Patch`
  for PATCH) listing those it does (RFC 9110 §15.5.16, RFC 5789 §2.2). FastAPI parses only
  JSON types as JSON and hands anything else to the model as bytes, which it answered with
  a 422 about "a valid dictionary".
- A query parameter the route reads one value of, sent more than once, is a 422 naming
  it. FastAPI would take the last one silently (`radius_km=500&radius_km=5` searched 5 km).
- A query of more values than a request may carry is a 422 naming the parameter: at most
  MAX_VALUES_PER_PARAMETER values of one parameter, MAX_QUERY_VALUES in all. Each value
  of a list becomes a clause of a query; thousands of them ran PostgreSQL into its
  statement timeout and past SQLite's limit on the depth of an expression.

Both are derived from what the route declares, once, when FastAPI builds its handler: a
parameter is a list when FastAPI reads all its values (its annotation is a sequence, also
inside a query model such as SearchCriteria), and the media types are the body's (JSON)
or those `openapi_extra` documents for a route that reads its body itself (the import).
A request then pays for one header comparison and a count of its query parameters.

The FHIR routes do not use this class: they read their parameters themselves, and there
a repeated parameter means "all of" (docs/integrations.md, FHIR R4). They bound their values with
refuse_too_many, counting each of a value's comma-separated alternatives.
"""

from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from fastapi import params
from fastapi._compat import ModelField, field_annotation_is_sequence, get_cached_model_fields, lenient_issubclass
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from app.errors import PROBLEM_MEDIA_TYPE, InvalidInput, Problem, UnsupportedMediaType

JSON = "application/json"
# Values of one query parameter, and of all of a request's query parameters together. A
# list filter names at most the few dozen codes of a taxonomy; a page of a list is read by
# its cursor, not by ids in the query.
MAX_VALUES_PER_PARAMETER = 50
MAX_QUERY_VALUES = 100
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
    return BodyTypes(offered, "Accept-Patch" if "PATCH" in (route.methods or ()) else "Accept")


def _query_fields(dependant: Dependant) -> Iterator[ModelField]:
    """Every query parameter the route reads, through its dependencies and query models."""
    for field in dependant.query_params:
        model = _query_model(field)
        yield from get_cached_model_fields(model) if model is not None else (field,)
    for sub in dependant.dependencies:
        yield from _query_fields(sub)


def _query_model(field: ModelField) -> type[BaseModel] | None:
    # Annotated[Model, Query()] (or Model | None): FastAPI reads each of its fields as a parameter.
    annotation = field.field_info.annotation
    if get_origin(annotation) in (Union, UnionType):
        annotation = next((arg for arg in get_args(annotation) if arg is not NoneType), None)
    return annotation if lenient_issubclass(annotation, BaseModel) else None


def _name(field: ModelField) -> str:
    alias = field.field_info.validation_alias  # the name it is sent under, where it differs
    return alias if isinstance(alias, str) else field.alias


def single_valued(dependant: Dependant) -> frozenset[str]:
    """Names of the query parameters FastAPI reads one value of (lists read them all)."""
    return frozenset(
        _name(field) for field in _query_fields(dependant)
        if not field_annotation_is_sequence(field.field_info.annotation)
    )


def _one(_value: str) -> int:
    return 1


def refuse_too_many(items: list[tuple[str, str]], values_in: Callable[[str], int] = _one) -> None:
    """A 422 naming each parameter with more than MAX_VALUES_PER_PARAMETER values, or, when the
    query holds more than MAX_QUERY_VALUES in all, the one with the most. `values_in`: how many
    values one occurrence carries (FHIR: its comma-separated alternatives)."""
    if len(items) <= MAX_VALUES_PER_PARAMETER and values_in is _one:  # the usual case: nothing to count
        return
    counts: Counter[str] = Counter()
    for name, value in items:
        counts[name] += values_in(value)
    errors = [
        {"field": name, "in": "query", "message": f"takes at most {MAX_VALUES_PER_PARAMETER} values; it was given {count}"}
        for name, count in counts.items() if count > MAX_VALUES_PER_PARAMETER
    ]
    if not errors and counts.total() > MAX_QUERY_VALUES:
        name, count = counts.most_common(1)[0]
        errors = [{"field": name, "in": "query", "message": f"the query holds {counts.total()} values, of which "
                   f"{count} of this parameter; a request takes at most {MAX_QUERY_VALUES}"}]
    if errors:
        _refuse(errors)


def _refuse(errors: list[dict[str, str]]) -> None:
    detail = f"{errors[0]['field']}: {errors[0]['message']}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    raise InvalidInput(detail, field=errors[0]["field"], errors=errors)


def _refuse_repeats_and_excess(request: Request, single: frozenset[str]) -> None:
    sent = request.query_params  # parsed once per request; FastAPI reads the same
    items = sent.multi_items()
    refuse_too_many(items)
    if len(items) == len(sent):  # no name sent twice: the usual case
        return
    counts = Counter(name for name, _ in items if name in single)
    errors = [
        {"field": name, "in": "query", "message": f"may be given only once; it was sent {count} times"}
        for name, count in counts.items() if count > 1
    ]
    if errors:
        _refuse(errors)


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
    """An APIRoute that refuses a body in a media type it does not take (415), a repeated
    single-valued query parameter and a query of too many values (422) before its parameters are read and its dependencies
    solved: nothing is looked up, opened or written for such a request."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        # The body is known only once FastAPI has read the endpoint; then its 415 is documented.
        if (types := body_types(self)) is not None and 415 not in self.responses:
            kwargs["responses"] = {**(kwargs.get("responses") or {}), 415: unsupported_media_type_response(types)}
            super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Handler:
        handler = self.answering(super().get_route_handler())
        # Read from the route as declared, with its own router's dependencies; the routers
        # that include it (/api/v1) add none that read the query.
        types, single = body_types(self), single_valued(self.dependant)

        async def checked(request: Request) -> Response:
            _refuse_repeats_and_excess(request, single)
            if types is not None:
                await _refuse_media_type(request, types)
            return await handler(request)

        return checked

    def answering(self, handler: Handler) -> Handler:
        """What answers a request that passed the checks: FastAPI's handler, unless a
        subclass answers some requests itself (app/search/router.py replays cached ones)."""
        return handler
