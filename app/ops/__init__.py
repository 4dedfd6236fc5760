"""Operations: health, metrics, request logs and ids, limits, database outages, the collector.

`install_operations` wires them into the app (see create_app). Middleware, outermost first:
FreezeAfterWarmUp > ObserveRequests (request id, metrics, log line) > AnswerUnexpectedErrors > HeadAsGet >
SecurityHeaders > CORS > (ReadOnlyNotice, with replicas) > BodyLimit > SearchRateLimit > AllowedMethods, all pure
ASGI so that streamed responses stay streamed.
"""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from app.ops import health
from app.ops.collector import FreezeAfterWarmUp
from app.ops.head import HeadAsGet
from app.ops.limits import BodyLimit, SearchRateLimit, SecurityHeaders, search_rate_limit
from app.ops.logs import configure_logging
from app.ops.methods import AllowedMethods
from app.ops.metrics import Metrics
from app.ops.observe import ObserveRequests
from app.ops.outage import ReadOnlyNotice, install_outage_handlers
from app.ops.problems import AnswerUnexpectedErrors
from app.replicas import READ_ONLY_HEADER, Databases
from app.settings import Settings

# What a browser client (an HIS web plugin) may send and read.
_CORS_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match", "X-Request-ID", "X-On-Behalf-Of", "Prefer"]
_CORS_EXPOSED = ["ETag", "Location", "Retry-After", "X-Request-ID", "Link", "Accept", "Accept-Patch", READ_ONLY_HEADER]


def install_operations(app: FastAPI, databases: Databases, settings: Settings) -> None:
    """Call before the FHIR outcome handlers are installed (they recast the outage handler)."""
    configure_logging(settings)
    install_outage_handlers(app, settings.retry_after_seconds)
    engine = databases.primary
    app.state.readiness = health.ReadinessProbe(engine, settings.health_timeout)
    app.include_router(health.router)
    metrics = Metrics(engine, settings.metrics_token) if settings.metrics_enabled and settings.metrics_token else None
    if metrics is not None:
        app.add_route("/metrics", metrics.endpoint, include_in_schema=False)

    # add_middleware puts each one outside the ones added before it.
    app.add_middleware(AllowedMethods)
    if (item := search_rate_limit(settings)) is not None:
        app.add_middleware(SearchRateLimit, item=item, storage_uri=settings.rate_limit_storage)
    app.add_middleware(BodyLimit, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
            allow_headers=_CORS_HEADERS, expose_headers=_CORS_EXPOSED, max_age=600,
        )
    app.add_middleware(SecurityHeaders)
    if databases.replicas:
        app.add_middleware(ReadOnlyNotice, databases=databases)
    app.add_middleware(HeadAsGet)  # inside the request log, which keeps the method sent
    app.add_middleware(AnswerUnexpectedErrors)  # inside the request log: its 500 is logged with the request
    app.add_middleware(ObserveRequests, metrics=metrics)
    if settings.gc_freeze_after_requests:
        app.add_middleware(FreezeAfterWarmUp, requests=settings.gc_freeze_after_requests)
