"""Domain errors and the one place that turns them into RFC 9457 problem+json."""

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import dialect

log = logging.getLogger("wijkkaart")

PROBLEM_MEDIA_TYPE = "application/problem+json"

# slug -> (status, title, what it means). The slug makes the stable `type` URI
# /problems/<slug>, which serves this description.
PROBLEM_TYPES: dict[str, tuple[int, str, str]] = {
    "invalid-input": (422, "Invalid input", "A parameter or field breaks a rule; `errors` names each field and rule."),
    "not-found": (404, "Not found", "Nothing exists under this identifier."),
    "gone": (410, "Gone", "The entry existed but was deleted; the change log still records it."),
    "postcode-not-residential": (422, "Postcode serves PO boxes only",
        "Nobody lives at a postbus-only PC4, so it has no neighbourhood."),
    "unauthorized": (401, "Unauthorized", "The API key is missing where one is required, unknown, revoked or expired."),
    "forbidden": (403, "Forbidden", "The key is valid but may not do this: its role or its gemeenten do not allow it."),
    "conflict": (409, "Conflict",
        "The change conflicts with the stored state (an id that exists, entries that depend on this one)."),
    "precondition-required": (428, "If-Match required",
        "Changing an entry needs the ETag you read, in If-Match, so no update is lost."),
    "precondition-failed": (412, "Entry changed since you read it",
        "The If-Match ETag is not the current version; read it again and redo the change."),
    "method-not-allowed": (405, "Method not allowed", "This path does not accept this HTTP method."),
    "http-error": (400, "Bad request", "The request could not be handled as sent."),
    "payload-too-large": (413, "Request body too large",
        "The body is larger than this endpoint accepts; `detail` says the limit."),
    "unsupported-media-type": (415, "Unsupported media type",
        "The body is not in a media type this endpoint takes; `Accept` (for PATCH `Accept-Patch`) lists those it does."),
    "too-many-requests": (429, "Too many requests",
        "Anonymous searches from this address exceed the limit; wait for Retry-After seconds, or use an API key."),
    "internal-error": (500, "Internal error", "An unexpected failure on the server; it has been logged."),
    "overloaded": (503, "Overloaded",
        "More requests are waiting for this server than it queues; retry after Retry-After seconds."),
    "service-unavailable": (503, "Service unavailable",
        "The database cannot be reached or did not answer in time; retry after Retry-After seconds."),
}


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is returned."""

    type: str = Field(examples=["/problems/invalid-input"], description="Stable URI of the problem type.")
    title: str = Field(examples=["Invalid input"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["limit: Input should be less than or equal to 100"])
    instance: str = Field(examples=["/api/v1/services"])
    field: str | None = Field(default=None, examples=["limit"], description="The field at fault, where one is.")
    errors: list[FieldError] | None = None


def _problem_response(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}


def describe_problems(spec: dict[str, Any]) -> None:
    """In the OpenAPI document, an error's Problem schema under the media type it is sent
    as. (FastAPI puts a response model under application/json, which errors are not sent
    as; generated clients then find no schema for what arrives and return nothing.)"""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if PROBLEM_MEDIA_TYPE in content and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE].setdefault("schema", content.pop("application/json")["schema"])


# The error responses every read operation documents.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem_response("The API key sent is unknown, revoked or expired."),
    404: _problem_response("Nothing exists under this identifier."),
    410: _problem_response("The entry was deleted."),
    422: _problem_response("A parameter breaks a rule; `field` names it."),
}

# ... and those of every write operation.
WRITE_PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    403: _problem_response("The key's role or gemeenten do not allow this change."),
    409: _problem_response("The change conflicts with the stored state."),
    412: _problem_response("The If-Match ETag is stale: the entry changed since it was read."),
    428: _problem_response("If-Match is missing."),
}


class DomainError(Exception):
    slug = "http-error"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class NotFound(DomainError):
    slug = "not-found"


class Gone(DomainError):
    slug = "gone"


class InvalidInput(DomainError):
    slug = "invalid-input"


class PostcodeNotResidential(DomainError):
    slug = "postcode-not-residential"


class Unauthorized(DomainError):
    slug = "unauthorized"


class Forbidden(DomainError):
    slug = "forbidden"


class Conflict(DomainError):
    slug = "conflict"


class PreconditionRequired(DomainError):
    slug = "precondition-required"


class PreconditionFailed(DomainError):
    slug = "precondition-failed"


class UnsupportedMediaType(DomainError):
    slug = "unsupported-media-type"


class Overloaded(DomainError):
    slug = "overloaded"


def _message(error: Any) -> str:
    # Our own validators raise ValueError; pydantic prefixes those with "Value error, ".
    return str(error["msg"]).removeprefix("Value error, ")


def invalid_input(exc: ValidationError, prefix: str = "") -> InvalidInput:
    """A pydantic error raised outside request parsing (a merged patch, an import row) as a 422."""
    errors = [
        {"field": prefix + ".".join(str(part) for part in error["loc"]) or "request", "message": _message(error)}
        for error in exc.errors()
    ]
    detail = f"{errors[0]['field']}: {errors[0]['message']}"
    return InvalidInput(detail, field=errors[0]["field"], errors=errors)


class EchoJSONResponse(JSONResponse):
    """JSON that may echo what a client sent: a lone surrogate ("\\ud800" in a JSON body), valid
    in a JSON string but not in UTF-8, goes out as that same escape instead of failing."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def problem(
    request: Request, slug: str, detail: str, *, status: int | None = None, **extra: Any
) -> JSONResponse:
    default_status, title, _ = PROBLEM_TYPES[slug]
    body = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status or default_status,
        "detail": detail,
        "instance": request.url.path,
        **{key: value for key, value in extra.items() if value is not None},
    }
    # Problems may echo what was sent (a postcode); no cache should keep them.
    return EchoJSONResponse(
        body, status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE, headers={"Cache-Control": "no-store"}
    )


def _field_name(location: tuple[Any, ...]) -> str:
    # ("query", "limit") -> "limit"; ("body", "eligibility", "min_age") -> "eligibility.min_age"
    parts = [str(part) for part in location]
    if parts and parts[0] in {"query", "path", "body", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "request"


async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    extra = dict(exc.extra)
    headers = extra.pop("headers", {})
    errors = extra.pop("errors", None) or ([{"field": exc.field, "message": exc.detail}] if exc.field else None)
    response = problem(request, exc.slug, exc.detail, field=exc.field, errors=errors, **extra)
    response.headers.update(headers)
    return response


def _request_error(error: Any) -> dict[str, str]:
    if error["type"] == "json_invalid":  # located at a character offset: ("body", 21)
        reason = error.get("ctx", {}).get("error", "")
        return {"field": "body", "in": "body", "message": f"not valid JSON at character {error['loc'][-1]}: {reason}"}
    return {"field": _field_name(tuple(error["loc"])), "in": str(error["loc"][0]), "message": _message(error)}


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [_request_error(error) for error in exc.errors()]
    first = errors[0]
    detail = f"{first['field']}: {first['message']}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem(request, "invalid-input", detail, field=first["field"], errors=errors)


# FastAPI's answer to a body that is not JSON at all; a client's input, like any other bad field.
_UNPARSEABLE_BODY = "There was an error parsing the body"


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and exc.detail == _UNPARSEABLE_BODY:
        return problem(request, "invalid-input", "body: not valid JSON", field="body",
                       errors=[{"field": "body", "message": "not valid JSON"}])
    slug = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(exc.status_code, "http-error")
    detail = "No such path." if exc.status_code == 404 else str(exc.detail)
    response = problem(request, slug, detail, status=exc.status_code)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _data_error(request: Request, exc: DataError) -> JSONResponse:
    # The database refused a value the client sent (a NUL character, a number out of range):
    # the client's input, not our failure.
    log.info("database refused a value: %s", exc.orig.__class__.__name__)
    return problem(request, "invalid-input", "A value in the request cannot be handled (for example a NUL character).")


async def _integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    # The services check uniqueness and references before they write, so a violation of
    # either that reaches the database lost a race (two imports with one external_id at once).
    if not dialect.is_lost_race(exc.orig):
        raise exc  # the generic 500 handler logs it
    log.warning("a concurrent write came first: %s", exc.orig.__class__.__name__)  # often: look for a bug
    return problem(request, "conflict", "Another change, written at the same moment, conflicts with this one; "
                   "read the entries again and retry.")


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The request id, method and route template come with the record (app.ops.logs); the path
    # itself stays out, since it may hold a postcode.
    log.exception("unhandled error: %s", exc.__class__.__name__)
    return problem(request, "internal-error", "An unexpected error occurred; it has been logged.")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]  # Starlette types a handler as taking Exception, not a subclass
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]  # Starlette types a handler as taking Exception, not a subclass
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]  # Starlette types a handler as taking Exception, not a subclass
    app.add_exception_handler(DataError, _data_error)  # type: ignore[arg-type]  # Starlette types a handler as taking Exception, not a subclass
    app.add_exception_handler(IntegrityError, _integrity_error)  # type: ignore[arg-type]  # Starlette types a handler as taking Exception, not a subclass
    app.add_exception_handler(Exception, _unexpected_error)
