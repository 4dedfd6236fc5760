"""The FastAPI application."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import PlainTextResponse
from sqlalchemy import Engine

from app.areas.router import router as areas_router
from app.changelog.router import router as audit_router
from app.client_admin.router import router as clients_router
from app.clients.auth import RecentKeys, cannot_have_written, describe_optional_keys, get_principal
from app.contacts.router import router as contacts_router
from app.db import Admission, assert_schema_current, make_engine
from app.errors import PROBLEM_RESPONSES, PROBLEM_TYPES, NotFound, describe_problems, install_problem_handlers
from app.fhir.outcome import install_outcome_handlers
from app.fhir.router import router as fhir_router
from app.front_doors.router import router as front_doors_router
from app.hsds.router import router as hsds_router
from app.imports.router import router as imports_router
from app.locations.router import router as locations_router
from app.maintenance.router import router as maintenance_router
from app.maintenance.stale import register_signal
from app.monitoring.router import count_searches, searches_counted
from app.monitoring.router import router as monitoring_router
from app.ops import install_operations
from app.ops.collector import freeze_long_lived
from app.organisations.router import router as organisations_router
from app.referrals import service as referrals
from app.referrals.router import fhir_router as referrals_fhir_router
from app.referrals.router import router as referrals_router
from app.replicas import Databases
from app.reports import service as reports
from app.reports.router import router as reports_router
from app.search import cache as search_cache
from app.search.index.writer import follow_changes
from app.search.memory import READ_MODELS
from app.search.router import router as search_router
from app.services.router import router as services_router
from app.settings import Settings, get_settings, require_secret
from app.sync.router import router as sync_router
from app.taxonomy.router import router as taxonomy_router
from app.web.router import install as install_web

DESCRIPTION = """
The **wijkkaart** (sociale kaart) of the social domain: per neighbourhood, the local
offerings (welfare, debt counselling, Wmo desk, wijkteams, Welzijn op Recept), the
named contact persons who take referrals, and who is eligible.

Errors are RFC 9457 `application/problem+json`; each `type` is documented at its URI.
Lists share one envelope with opaque keyset cursors.

The same catalogue speaks FHIR R4 under `/fhir` (HealthcareService, Organization, Location,
Practitioner, PractitionerRole), described by its CapabilityStatement at `/fhir/metadata`.
"""


def describe(app: FastAPI) -> None:
    """The OpenAPI document as FastAPI writes it, with what it cannot say: optional keys,
    and problems under their own media type."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        spec = generate()  # cached by FastAPI: amended once, when it is first made
        if fresh:
            describe_optional_keys(spec)
            describe_problems(spec)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    engine: Engine | None = None, settings: Settings | None = None, replicas: Sequence[Engine] | None = None
) -> FastAPI:
    """The app on `engine` (the primary) and `replicas` (default: both from `settings`)."""
    settings = settings or get_settings()
    require_secret(settings)
    engine = engine or make_engine(settings.database_url, settings)
    if replicas is None:
        replicas = [make_engine(url, settings, read_only=True) for url in settings.read_database_urls]
    databases = Databases(
        engine, replicas, max_lag=settings.read_replica_max_lag_seconds,
        check_seconds=settings.read_replica_check_seconds, cannot_have_written=cannot_have_written,
    )
    follow_changes()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Refuse to serve a schema older (or newer) than this code.
        assert_schema_current(engine)
        databases.start()
        # Before the freeze: the search's read model lives as long as the worker.
        await anyio.to_thread.run_sync(READ_MODELS.load, engine, replicas)
        freeze_long_lived()
        async with searches_counted(app):
            yield
        databases.close()
        app.state.readiness.close()

    app = FastAPI(
        title="Wijkkaart", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
        docs_url=None, redoc_url=None,  # served by app/web with their assets from this server
        # Operation ids are the route names (read_service, update_contact, …): what generated clients call.
        generate_unique_id_function=lambda route: route.name,
        # A key that is sent is checked on every route, also where a route reads nothing that
        # depends on it: an unknown, revoked or expired key is a 401, never an anonymous read.
        # (FastAPI solves it once per request; the routes that use the client get the same one.)
        dependencies=[Depends(get_principal)], responses={401: PROBLEM_RESPONSES[401]},
    )
    app.state.engine = engine  # the primary
    app.state.databases = databases  # which database each request uses (app.db.get_session)
    app.state.admission = Admission(settings.db_pool_size, settings.max_queued_requests, settings.retry_after_seconds)
    app.state.recent_keys = RecentKeys()  # app/clients/auth.py
    # The search's computation, off the event loop (app/search/router.py).
    app.state.search_limiter = anyio.CapacityLimiter(settings.search_threads)
    app.state.search_cache = search_cache.new_cache(settings.search_cache_mb)
    install_problem_handlers(app)
    # Health, metrics, request logs, limits, and 503 for a database outage (before the next line).
    install_operations(app, databases, settings)
    install_outcome_handlers(app)  # errors under /fhir as OperationOutcome
    # What the higher features publish to the lower ones, which do not import them.
    register_signal("open_reports", reports.open_reports)
    register_signal("referrals_niet_opgepakt", referrals.waiting_too_long)
    count_searches(app)  # the search tells app.state.search_observers of every GET it answers

    api = APIRouter(prefix="/api/v1")
    for router in (
        search_router, services_router, organisations_router, locations_router, contacts_router,
        front_doors_router, areas_router, taxonomy_router, clients_router, audit_router, maintenance_router, sync_router,
        imports_router, referrals_router, reports_router, monitoring_router,
    ):
        api.include_router(router)
    app.include_router(api)
    # Open Referral HSDS 3.0 has its own paths, outside /api/v1.
    app.include_router(hsds_router)
    # FHIR R4 likewise: /fhir.
    app.include_router(fhir_router)
    app.include_router(referrals_fhir_router)  # ServiceRequest and Task, for the practice and the receiving side
    # The practice page at /, its static files, and the API docs.
    install_web(app)
    describe(app)

    @app.get("/problems/{slug}", include_in_schema=False, response_class=PlainTextResponse)
    def describe_problem(slug: str) -> str:
        if slug not in PROBLEM_TYPES:
            raise NotFound("No such problem type.")
        status, title, meaning = PROBLEM_TYPES[slug]
        return f"{title} ({status})\n\n{meaning}\n"

    return app
