"""The FastAPI application."""

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from app import dialect
from app.areas.router import router as areas_router
from app.changelog.router import router as audit_router
from app.client_admin.router import router as clients_router
from app.clients.auth import RecentKeys
from app.contacts.router import router as contacts_router
from app.db import assert_schema_current, make_engine
from app.errors import PROBLEM_TYPES, NotFound, install_problem_handlers
from app.fhir.outcome import install_outcome_handlers
from app.fhir.router import router as fhir_router
from app.front_doors.router import router as front_doors_router
from app.hsds.router import router as hsds_router
from app.imports.router import router as imports_router
from app.locations.router import router as locations_router
from app.maintenance.router import router as maintenance_router
from app.ops import install_operations
from app.ops.collector import freeze_long_lived
from app.organisations.router import router as organisations_router
from app.search import cache as search_cache
from app.search.listeners import follow_changes
from app.search.router import router as search_router
from app.services.router import router as services_router
from app.settings import Settings, get_settings
from app.sync.router import router as sync_router
from app.taxonomy.router import router as taxonomy_router

DESCRIPTION = """
The **wijkkaart** (sociale kaart) of the social domain: per neighbourhood, the local
offerings (welfare, debt counselling, Wmo desk, wijkteams, Welzijn op Recept), the
named contact persons who take referrals, and who is eligible.

Errors are RFC 9457 `application/problem+json`; each `type` is documented at its URI.
Lists share one envelope with opaque keyset cursors.

The same catalogue speaks FHIR R4 under `/fhir` (HealthcareService, Organization, Location,
Practitioner, PractitionerRole), described by its CapabilityStatement at `/fhir/metadata`.
"""


def _operation_id(route: APIRoute) -> str:
    # Operation ids are the route names (read_service, update_contact, …): what generated clients call.
    return route.name


@functools.cache
def _routes() -> APIRouter:
    """Every feature's routes under one router, made once per process; each app takes its routes.

    FastAPI resolves an included router's routes (their parameters and models) per router they
    are included into, a second or more for this API at each app's start and first request.
    Shared, that work is done once and every app after the first starts in a fraction of it.
    The routes do not consult an app's `dependency_overrides`: no app here sets any."""
    routes = APIRouter(generate_unique_id_function=_operation_id)
    api = APIRouter(prefix="/api/v1")
    for router in (
        search_router, services_router, organisations_router, locations_router, contacts_router,
        front_doors_router, areas_router, taxonomy_router, clients_router, audit_router, maintenance_router,
        sync_router, imports_router,
    ):
        api.include_router(router)
    routes.include_router(api)
    # Open Referral HSDS 3.0 has its own paths, outside /api/v1.
    routes.include_router(hsds_router)
    # FHIR R4 likewise: /fhir.
    routes.include_router(fhir_router)
    return routes


def create_app(engine: Engine | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url, settings)
    follow_changes()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Refuse to serve a schema older (or newer) than this code.
        assert_schema_current(engine)
        freeze_long_lived()
        yield
        app.state.readiness.close()

    app = FastAPI(
        title="Wijkkaart", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.engine = engine
    app.state.recent_keys = RecentKeys()  # app/clients/auth.py
    # The search's computation, off the event loop (app/search/router.py).
    app.state.search_limiter = anyio.CapacityLimiter(dialect.search_threads(engine.dialect.name, settings))
    app.state.search_cache = search_cache.new_cache(settings.search_cache_mb)
    install_problem_handlers(app)
    # Health, metrics, request logs, limits, and 503 for a database outage (before the next line).
    install_operations(app, engine, settings)
    install_outcome_handlers(app)  # errors under /fhir as OperationOutcome

    app.router.routes.extend(_routes().routes)  # the feature routes, resolved once (_routes)

    @app.get("/problems/{slug}", include_in_schema=False, response_class=PlainTextResponse)
    def describe_problem(slug: str) -> str:
        if slug not in PROBLEM_TYPES:
            raise NotFound("No such problem type.")
        status, title, meaning = PROBLEM_TYPES[slug]
        return f"{title} ({status})\n\n{meaning}\n"

    return app
