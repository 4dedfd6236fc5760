"""OPTIONS on every path, and the Allow header of every 405: all the methods the path takes (pure ASGI).

Starlette answers both from the first route whose path matches, so a path served by two
routes (GET and POST /api/v1/search) named only the first one's methods. Here the app's
routes are asked together. A CORS preflight never reaches this: CORSMiddleware, outside
it, answers those.
"""

from fastapi.routing import iter_route_contexts
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def allowed_methods(scope: Scope) -> list[str]:
    """The methods of every route of the app whose path matches the request's; none: no such path."""
    methods: set[str] = set()
    for route in iter_route_contexts(scope["app"].routes):  # with the prefixes of the routers that include them
        if route.methods and route.matches(scope)[0] is not Match.NONE:
            methods |= route.methods
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")  # app/ops/head.py answers HEAD wherever GET is served
    return sorted(methods | {"OPTIONS"})


class AllowedMethods:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and (allowed := allowed_methods(scope)):
            await Response(status_code=204, headers={"Allow": ", ".join(allowed)})(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405 and (
                allowed := allowed_methods(scope)
            ):
                MutableHeaders(scope=message)["Allow"] = ", ".join(allowed)
            await send(message)

        await self.app(scope, receive, send_with_allow)
