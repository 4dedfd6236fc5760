"""One pure ASGI middleware per request: its id, its metrics and its log line.

Pure ASGI rather than BaseHTTPMiddleware, so that streamed bodies (the NDJSON export)
pass through chunk by chunk; the time recorded runs until the last chunk is sent.
"""

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ops.logs import RequestContext, current_request, request_id_from
from app.ops.metrics import Metrics

access_log = logging.getLogger("wijkkaart.access")


class ObserveRequests:
    def __init__(self, app: ASGIApp, metrics: Metrics | None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"x-request-id")
        context = RequestContext(request_id_from(header), scope["method"], scope)
        token = current_request.set(context)
        status = 500  # unless a response starts: an exception escaped every handler
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = context.request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = context.route
            if self.metrics is not None:
                self.metrics.observe(context.method, route, status, seconds)
            access_log.info(
                "%s %s %s", context.method, route, status,
                extra={"status": status, "duration_ms": round(seconds * 1000, 2)},
            )
            current_request.reset(token)
