"""The catalogue as Open Referral HSDS 3.0, read-only, as the HSDS API reference defines it."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.fields import LocalDateTime, blank_is_none
from app.hsds import schemas as hsds
from app.hsds import service
from app.hsds.service import Paging, ServiceFilters
from app.http_cache import LIST_SECONDS, cache_for
from app.pagination import MAX_LIMIT
from app.request_checks import CheckedRoute
from app.visibility import ViewerDep

router = APIRouter(
    prefix="/hsds", tags=["Open Referral HSDS 3.0"], dependencies=[cache_for(LIST_SECONDS)], route_class=CheckedRoute
)

HSDS_VERSION = "3.0"
# No profile changes the schemas, so the profile is HSDS 3.0 itself.
PROFILE_URL = "https://docs.openreferral.org/en/3.0/"

# HSDS types allow no nulls: every route leaves out what is not known (response_model_exclude_none).

PageParam = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")]
PerPageParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Entities per page, at most {MAX_LIMIT}.")]
# Empty is no search, as `q` is on /api/v1/search.
SearchParam = Annotated[
    str | None, Query(max_length=200, description="Full-text search; empty: none."), AfterValidator(blank_is_none)
]
FormatParam = Annotated[
    Literal["json"], Query(description="Only `json`; the app's NDJSON export is /api/v1/export.ndjson.")
]
TermParam = Annotated[
    str | None, Query(description="Services with this taxonomy term (an id from /hsds/taxonomy_terms).")
]
TaxonomyParam = Annotated[
    str | None,
    Query(description="Services with any term of this taxonomy: its id, or `zrm` (need domains) or `doelgroep`."),
]
OrganizationParam = Annotated[uuid.UUID | None, Query(description="Services this organization provides.")]
ModifiedParam = Annotated[
    LocalDateTime | None, Query(description="Changed on or after this moment; without a zone, Europe/Amsterdam.")
]
FullParam = Annotated[bool, Query(description="Fully nested entities instead of their one-to-one fields.")]
FullServiceParam = Annotated[bool, Query(description="Nest fully nested services in each organization.")]


def _base_url(request: Request) -> str:
    return str(request.base_url)


def _service_filters(
    search: SearchParam = None, taxonomy_term_id: TermParam = None, taxonomy_id: TaxonomyParam = None,
    organization_id: OrganizationParam = None, modified_after: ModifiedParam = None,
) -> ServiceFilters:
    return ServiceFilters(search, taxonomy_term_id, taxonomy_id, organization_id, modified_after)


FiltersDep = Annotated[ServiceFilters, Depends(_service_filters)]


@router.get("/", summary="API details: the HSDS version and profile, and where the OpenAPI document is")
def hsds_api_details(request: Request) -> hsds.HsdsApiDetails:
    openapi_path = (request.app.openapi_url or "/openapi.json").lstrip("/")
    return hsds.HsdsApiDetails(version=HSDS_VERSION, profile=PROFILE_URL, openapi_url=_base_url(request) + openapi_path)


@router.get(
    "/services",
    summary="Services: one-to-one fields, fully nested (`full`) or only id, name, status and last_modified (`minimal`)",
    description=(
        "`search` uses the app's Dutch full-text search; its best matches come first, else the order is by "
        "name. Direct lines of contact persons only for authenticated clients."
    ),
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_list_services(
    session: SessionDep, request: Request, viewer: ViewerDep, filters: FiltersDep,
    minimal: Annotated[bool, Query(description="Only id, name, status and last_modified.")] = False,
    full: FullParam = False, page: PageParam = 1, per_page: PerPageParam = 50, format: FormatParam = "json",
) -> hsds.HsdsPage[hsds.HsdsService]:
    return service.list_services(
        session, viewer, _base_url(request), filters, Paging(page, per_page), full=full, minimal=minimal
    )


@router.get("/services/{id}", summary="One fully nested service",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_read_service(session: SessionDep, request: Request, viewer: ViewerDep, id: uuid.UUID) -> hsds.HsdsService:
    return service.get_service(session, viewer, _base_url(request), id)


@router.get("/organizations", summary="Organizations: one-to-one fields, or fully nested (`full`)",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_list_organizations(
    session: SessionDep, request: Request, viewer: ViewerDep, search: SearchParam = None,
    full_service: FullServiceParam = False, full: FullParam = False, page: PageParam = 1,
    per_page: PerPageParam = 50, format: FormatParam = "json",
) -> hsds.HsdsPage[hsds.HsdsOrganization]:
    return service.list_organizations(
        session, viewer, _base_url(request), search=search, full=full, full_service=full_service,
        paging=Paging(page, per_page),
    )


@router.get(
    "/organizations/{id}",
    summary="One fully nested organization; its services with their one-to-one fields unless `full_service`",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_read_organization(
    session: SessionDep, request: Request, viewer: ViewerDep, id: uuid.UUID, full_service: FullServiceParam = False,
) -> hsds.HsdsOrganization:
    return service.get_organization(session, viewer, _base_url(request), id, full_service=full_service)


@router.get(
    "/service_at_locations",
    summary="Services at locations: one-to-one fields with the service and location, or fully nested (`full`)",
    description=(
        "`postcode` keeps the services whose service areas hold it (or that have none: open to anyone); "
        "`proximity` (metres, with `postcode`) keeps the locations within that distance of its centre."
    ),
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_list_service_at_locations(
    session: SessionDep, request: Request, viewer: ViewerDep, filters: FiltersDep, full: FullParam = False,
    page: PageParam = 1, per_page: PerPageParam = 50, format: FormatParam = "json",
    postcode: Annotated[str | None, Query(max_length=10, description="PC6 or PC4.", examples=["4331AB"])] = None,
    proximity: Annotated[int | None, Query(ge=1, le=100_000, description="Metres from the postcode's centre.")] = None,
) -> hsds.HsdsPage[hsds.HsdsServiceAtLocation]:
    return service.list_service_at_locations(
        session, viewer, _base_url(request), filters, Paging(page, per_page), full=full,
        postcode=postcode, proximity=proximity,
    )


@router.get("/service_at_locations/{id}", summary="One fully nested service at a location",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_read_service_at_location(
    session: SessionDep, request: Request, viewer: ViewerDep, id: uuid.UUID
) -> hsds.HsdsServiceAtLocation:
    return service.get_service_at_location(session, viewer, _base_url(request), id)


@router.get("/taxonomies", summary="The taxonomies: ZRM need domains (`zrm`) and target groups (`doelgroep`)",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_list_taxonomies(
    search: SearchParam = None, page: PageParam = 1, per_page: PerPageParam = 50, format: FormatParam = "json",
) -> hsds.HsdsPage[hsds.HsdsTaxonomy]:
    return service.list_taxonomies(search=search, paging=Paging(page, per_page))


@router.get("/taxonomies/{id}", summary="One taxonomy, by id or short name",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_read_taxonomy(id: str) -> hsds.HsdsTaxonomy:
    return service.get_taxonomy(id)


@router.get("/taxonomy_terms", summary="Taxonomy terms: the 13 ZRM need domains, then the target groups",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_list_taxonomy_terms(
    session: SessionDep, search: SearchParam = None, taxonomy_id: TaxonomyParam = None,
    top_only: Annotated[bool, Query(description="Only terms without a parent: all, as both taxonomies are flat.")] = False,
    parent_id: Annotated[str | None, Query(description="Children of this term: none, as both taxonomies are flat.")] = None,
    page: PageParam = 1, per_page: PerPageParam = 50, format: FormatParam = "json",
) -> hsds.HsdsPage[hsds.HsdsTaxonomyTerm]:
    return service.list_taxonomy_terms(
        session, search=search, taxonomy_id=taxonomy_id, top_only=top_only, parent_id=parent_id,
        paging=Paging(page, per_page),
    )


@router.get("/taxonomy_terms/{id}", summary="One taxonomy term",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_read_taxonomy_term(session: SessionDep, id: str) -> hsds.HsdsTaxonomyTerm:
    return service.get_taxonomy_term(session, id)
