"""Error answers given by the operational middleware itself, before any route runs.

They follow the app's conventions: problem+json, and an OperationOutcome under /fhir.
"""

import inspect

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class AnswerUnexpectedErrors:
    """Answer an exception no handler took with the app's 500 (its handler for Exception), here.

    Starlette's outermost middleware answers it too, but then raises it again for the server
    to log, and a server that sees a request fail drops the connection: a keep-alive client
    found it closed without a `Connection: close`. Answered here, the connection stays open
    for the next request. An exception after the response started (a stream cut short) still
    goes up: closing the connection is the only way left to tell the client.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = scope["app"].exception_handlers[Exception](Request(scope), exc)
            if inspect.isawaitable(response):
                response = await response
            await response(scope, receive, send)
