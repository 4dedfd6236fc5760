"""Error answers given by the operational middleware itself, before any route runs.

They follow the app's conventions: problem+json, and an OperationOutcome under /fhir.
"""

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from app.errors import PROBLEM_TYPES, problem
from app.fhir.outcome import FhirResponse, is_fhir, operation_outcome


def error_response(scope: Scope, slug: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    request = Request(scope)
    status = PROBLEM_TYPES[slug][0]
    if is_fhir(request):
        response: Response = FhirResponse(operation_outcome(status, detail), status_code=status)
        response.headers["Cache-Control"] = "no-store"
    else:
        response = problem(request, slug, detail)
    response.headers.update(headers or {})
    return response
