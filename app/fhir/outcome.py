"""FHIR's media type, and errors under /fhir as OperationOutcome instead of problem+json.

A FHIR client parses an OperationOutcome from any failed interaction; a problem+json
body would be foreign to it. The app's problem handlers stay the one set of rules for
what an error is (its status, its text, its headers): under /fhir their answer is only
recast, so a 401 for a bad key or a 410 for a deleted entry mean the same everywhere.
"""

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from app.errors import EchoJSONResponse

FHIR_JSON = "application/fhir+json"
PREFIX = "/fhir"

# HTTP status -> OperationOutcome issue type (http://hl7.org/fhir/issue-type).
ISSUE_TYPES = {
    400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
    406: "not-supported", 409: "conflict", 410: "deleted", 413: "too-costly", 422: "invalid", 429: "throttled",
    503: "transient",
}


class FhirResponse(EchoJSONResponse):
    media_type = FHIR_JSON


def operation_outcome(status: int, diagnostics: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "fatal" if status >= 500 else "error",
            "code": ISSUE_TYPES.get(status, "exception" if status >= 500 else "processing"),
            "diagnostics": diagnostics,
        }],
    }


def is_fhir(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def _recast_under_fhir(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        if inspect.isawaitable(response):
            response = await response
        if not is_fhir(request):
            return response
        problem = json.loads(bytes(response.body))
        # FHIR answers a bad search parameter with 400; 422 is for resource content it cannot process.
        status = 400 if response.status_code == 422 else response.status_code
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
        return FhirResponse(operation_outcome(status, problem["detail"]), status_code=status, headers=headers)

    return handle


def install_outcome_handlers(app: FastAPI) -> None:
    """Call after app.errors.install_problem_handlers: it wraps the handlers that installed."""
    for exc_class, handler in list(app.exception_handlers.items()):
        app.exception_handlers[exc_class] = _recast_under_fhir(handler)
