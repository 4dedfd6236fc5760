"""HEAD on every GET route: the GET's status and headers, without its body (pure ASGI).

RFC 9110 has every server support HEAD wherever it supports GET, and uptime checks and
clients that only want an ETag send it; FastAPI routes answer only the methods they name.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            # Content-Length stays the GET's, as RFC 9110 has it for HEAD.
            await send({**message, "body": b""} if message["type"] == "http.response.body" else message)

        # A copy: the server reads the method it parsed from its own scope to leave out the body.
        inner = {**scope, "method": "GET"}
        try:
            await self.app(inner, receive, headers_only)
        finally:
            # The route the router matched, for the request's log line and metrics (route_template).
            scope.update({key: inner[key] for key in ("route", "endpoint") if key in inner})
