"""Request limits: body size, the anonymous search rate, and security headers (pure ASGI)."""

import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ops.problems import error_response
from app.settings import Settings

IMPORT_PATH = "/api/v1/import"
SEARCH_PATH = "/api/v1/search"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB" if n >= 1024 * 1024 else f"{n} bytes"


class BodyLimit:
    """413 for a body over the limit: at once by its Content-Length, else while it is read.

    POST /api/v1/import has its own, larger limit (bulk CSV files). 0 means no limit.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.default = settings.max_body_bytes
        self.imports = settings.max_import_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.imports if scope["type"] == "http" and scope["path"] == IMPORT_PATH else self.default
        if scope["type"] != "http" or not limit:
            await self.app(scope, receive, send)
            return
        detail = f"The request body is larger than the {_size(limit)} this endpoint accepts."
        declared = Headers(scope=scope).get("content-length", "")
        # More digits than any size in bytes has is too large too (and int() of thousands raises).
        if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
            await error_response(scope, "payload-too-large", detail)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the app's reading of the body: its handlers answer 413.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, counting_receive, send)


class SearchRateLimit:
    """429 with Retry-After for anonymous searches (GET and POST /api/v1/search) over the limit.

    Counted per client address (behind a proxy: uvicorn's --proxy-headers makes that the
    forwarded one) with the `limits` package's moving window, in the storage the settings
    name: per process in memory, or shared (Redis, Memcached) across workers and machines,
    which a hand-made token bucket could not be. Requests with an Authorization header are
    not counted: a bad key gets its 401 anyway.
    """

    def __init__(self, app: ASGIApp, item: RateLimitItem, storage_uri: str) -> None:
        self.app = app
        self.item = item
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http" and scope["path"] == SEARCH_PATH and scope["method"] in ("GET", "POST")
            and b"authorization" not in dict(scope["headers"])
        ):
            client = scope.get("client")
            address = client[0] if client else "unknown"
            if not await self.limiter.hit(self.item, "search", address):
                stats = await self.limiter.get_window_stats(self.item, "search", address)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                detail = (f"More than {self.item} anonymous searches from this address; "
                          f"retry in {retry_after} s or use an API key.")
                response = error_response(scope, "too-many-requests", detail, {"Retry-After": str(retry_after)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def search_rate_limit(settings: Settings) -> RateLimitItem | None:
    text = settings.search_rate_limit.strip()
    return parse(text) if text and text.lower() != "off" else None


# The interactive docs run inline code: they set a policy of their own (app/web/router.py).
_DOCS = ("/docs", "/redoc")
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_API_CSP = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    """Headers that stop browsers sniffing, framing or leaking referrers; HSTS over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not scope["path"].startswith(_DOCS):
                    headers.setdefault("Content-Security-Policy", _API_CSP)
                if scope.get("scheme") == "https":
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)
