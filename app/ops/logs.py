"""JSON logs, and the request context every record of a request carries.

A record names the request by its id, method and route *template*
(`/api/v1/postcodes/{postcode}`), never by its path or query string, and a request's body
is never logged: both may carry a patient's attributes (postcode, age, income).
"""

import logging
import re
import sys
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pythonjsonlogger.json import JsonFormatter
from starlette.types import Scope

from app.settings import Settings

HANDLER_NAME = "wijkkaart-json"
# An X-Request-ID from the caller is kept when it is plain: letters, digits and . _ : -
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/v1/postcodes/{postcode}`); `<unmatched>` for an unknown path.

    The route's own path may lack the prefixes of the routers that include it; those
    prefixes hold no parameters here, so they are the path's leading segments. Plain
    Starlette routes (/metrics, /docs) carry no route object and no parameters: their path is it.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        return scope["path"] if "endpoint" in scope else "<unmatched>"
    segments = scope["path"].split("/")
    return "/".join(segments[: max(1, len(segments) - template.count("/"))]) + template


@dataclass
class RequestContext:
    request_id: str
    method: str
    scope: Scope = field(repr=False)

    @property
    def route(self) -> str:
        return route_template(self.scope)


current_request: ContextVar[RequestContext | None] = ContextVar("wijkkaart_request", default=None)


def request_id_from(header: bytes | None) -> str:
    """The caller's X-Request-ID when acceptable, else a new one."""
    if header:
        value = header.decode("latin-1")
        if _ACCEPTABLE_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


class _RequestFields(logging.Filter):
    """Adds the current request's id, method and route template to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current_request.get()
        if context is not None:
            for name, value in (("request_id", context.request_id), ("method", context.method), ("route", context.route)):
                if not hasattr(record, name):
                    setattr(record, name, value)
        return True


def json_handler(stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter(
        "{asctime}{levelname}{name}{message}", style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    ))
    handler.addFilter(_RequestFields())
    return handler


def configure_logging(settings: Settings) -> None:
    """JSON lines on stderr for the app and uvicorn; once per process.

    uvicorn's access log is switched off: it writes the path with its query string. The
    request log of app.ops.observe replaces it.
    """
    logging.getLogger("uvicorn.access").disabled = True
    # /health/ready reads the migration state on every probe: alembic's two INFO lines each
    # time would bury the request log.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    if not settings.log_json:
        return
    root = logging.getLogger()
    if not any(handler.get_name() == HANDLER_NAME for handler in root.handlers):
        root.addHandler(json_handler())
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        # Through the root's JSON handler instead of uvicorn's own text one.
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
