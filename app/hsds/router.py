"""The catalogue as Open Referral HSDS 3.0, read-only, as the HSDS API reference defines it."""

import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AfterValidator, BaseModel, BeforeValidator

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
PerPageParam = Annotated[int, Query(
    ge=1, le=1_000_000,
    description=f"Entities per page; more than {MAX_LIMIT} gives {MAX_LIMIT}, as the envelope's `per_page` says.",
)]
# A filter sent empty (`organization_id=`, a harvester's unset template field) is no filter.
Blank = BeforeValidator(blank_is_none)
# Empty is no search, as `q` is on /api/v1/search.
SearchParam = Annotated[
    str | None, Query(max_length=200, description="Full-text search; empty: none."), AfterValidator(blank_is_none)
]
FormatParam = Annotated[Literal["json", "ndjson"], Query(
    description="`json`: a page; `ndjson`: every result, one a line, without paging (`page`, `per_page` unused).",
)]
TermParam = Annotated[
    str | None, Query(description="Services with this taxonomy term (an id from /hsds/taxonomy_terms)."), Blank
]
TaxonomyParam = Annotated[
    str | None,
    Query(description="Services with any term of this taxonomy: its id, or `zrm` (need domains) or `doelgroep`."),
    Blank,
]
OrganizationParam = Annotated[uuid.UUID | None, Query(description="Services this organization provides."), Blank]
ModifiedParam = Annotated[
    LocalDateTime | None, Query(description="Changed on or after this moment; without a zone, Europe/Amsterdam."),
    Blank,
]
FullParam = Annotated[bool, Query(description="Fully nested entities instead of their one-to-one fields.")]
FullServiceParam = Annotated[bool, Query(description="Nest fully nested services in each organization.")]


NDJSON = "application/x-ndjson"


def _list_responses(item: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """A list's responses: a page in JSON, or with format=ndjson every item on a line of its own."""
    extra = item.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    examples = examples if isinstance(examples, list) else []
    ndjson = {
        "schema": {"type": "string", "description": "One item of the page's `contents` a line."},
        "example": "".join(json.dumps(example, ensure_ascii=False) + "\n" for example in examples),
    }
    return {**PROBLEM_RESPONSES, 200: {"content": {NDJSON: ndjson}}}


def _base_url(request: Request) -> str:
    return str(request.base_url)


def _listed(format: str, list_page: Callable[[Paging], hsds.HsdsPage[Any]], paging: Paging) -> Any:
    if format == "json":
        return list_page(paging)
    lines = (item.model_dump_json(exclude_none=True) + "\n" for item in service.every_item(list_page))
    return Response("".join(lines), media_type=NDJSON)


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
    responses=_list_responses(hsds.HsdsService), response_model_exclude_none=True,
)
def hsds_list_services(
    session: SessionDep, request: Request, viewer: ViewerDep, filters: FiltersDep,
    minimal: Annotated[bool, Query(description="Only id, name, status and last_modified.")] = False,
    full: FullParam = False, page: PageParam = 1, per_page: PerPageParam = 50, format: FormatParam = "json",
) -> hsds.HsdsPage[hsds.HsdsService]:
    return _listed(format, lambda paging: service.list_services(
        session, viewer, _base_url(request), filters, paging, full=full, minimal=minimal
    ), Paging(page, per_page))


@router.get("/services/{id}", summary="One fully nested service",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_read_service(session: SessionDep, request: Request, viewer: ViewerDep, id: str) -> hsds.HsdsService:
    return service.get_service(session, viewer, _base_url(request), service.entity_id(id, "service"))


@router.get("/organizations", summary="Organizations: one-to-one fields, or fully nested (`full`)",
    responses=_list_responses(hsds.HsdsOrganization), response_model_exclude_none=True,
)
def hsds_list_organizations(
    session: SessionDep, request: Request, viewer: ViewerDep, search: SearchParam = None,
    full_service: FullServiceParam = False, full: FullParam = False, page: PageParam = 1,
    per_page: PerPageParam = 50, format: FormatParam = "json",
) -> hsds.HsdsPage[hsds.HsdsOrganization]:
    return _listed(format, lambda paging: service.list_organizations(
        session, viewer, _base_url(request), search=search, full=full, full_service=full_service, paging=paging,
    ), Paging(page, per_page))


@router.get(
    "/organizations/{id}",
    summary="One fully nested organization; its services with their one-to-one fields unless `full_service`",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_read_organization(
    session: SessionDep, request: Request, viewer: ViewerDep, id: str, full_service: FullServiceParam = False,
) -> hsds.HsdsOrganization:
    return service.get_organization(
        session, viewer, _base_url(request), service.entity_id(id, "organization"), full_service=full_service
    )


@router.get(
    "/service_at_locations",
    summary="Services at locations: one-to-one fields with the service and location, or fully nested (`full`)",
    description=(
        "`postcode` keeps the services whose service areas hold it (or that have none: open to anyone); "
        "`proximity` (metres, with `postcode`) keeps the locations within that distance of its centre."
    ),
    responses=_list_responses(hsds.HsdsServiceAtLocation), response_model_exclude_none=True,
)
def hsds_list_service_at_locations(
    session: SessionDep, request: Request, viewer: ViewerDep, filters: FiltersDep, full: FullParam = False,
    page: PageParam = 1, per_page: PerPageParam = 50, format: FormatParam = "json",
    postcode: Annotated[str | None, Query(max_length=10, description="PC6 or PC4.", examples=["4331AB"]), Blank] = None,
    proximity: Annotated[int | None, Query(ge=1, le=100_000, description="Metres from the postcode's centre."), Blank] = None,
) -> hsds.HsdsPage[hsds.HsdsServiceAtLocation]:
    return _listed(format, lambda paging: service.list_service_at_locations(
        session, viewer, _base_url(request), filters, paging, full=full, postcode=postcode, proximity=proximity,
    ), Paging(page, per_page))


@router.get("/service_at_locations/{id}", summary="One fully nested service at a location",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_read_service_at_location(
    session: SessionDep, request: Request, viewer: ViewerDep, id: str
) -> hsds.HsdsServiceAtLocation:
    return service.get_service_at_location(
        session, viewer, _base_url(request), service.entity_id(id, "service at location")
    )


@router.get("/taxonomies", summary="The taxonomies: ZRM need domains (`zrm`) and target groups (`doelgroep`)",
    responses=_list_responses(hsds.HsdsTaxonomy), response_model_exclude_none=True,
)
def hsds_list_taxonomies(
    session: SessionDep, search: SearchParam = None, page: PageParam = 1, per_page: PerPageParam = 50,
    format: FormatParam = "json",
) -> hsds.HsdsPage[hsds.HsdsTaxonomy]:
    return _listed(
        format, lambda paging: service.list_taxonomies(session, search=search, paging=paging), Paging(page, per_page)
    )


@router.get("/taxonomies/{id}", summary="One taxonomy, by id or short name",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_read_taxonomy(id: str) -> hsds.HsdsTaxonomy:
    return service.get_taxonomy(id)


@router.get("/taxonomy_terms", summary="Taxonomy terms: the 13 ZRM need domains, then the target groups",
    responses=_list_responses(hsds.HsdsTaxonomyTerm), response_model_exclude_none=True,
)
def hsds_list_taxonomy_terms(
    session: SessionDep, search: SearchParam = None, taxonomy_id: TaxonomyParam = None,
    top_only: Annotated[bool, Query(description="Only terms without a parent: all, as both taxonomies are flat.")] = False,
    parent_id: Annotated[
        str | None, Query(description="Children of this term: none, as both taxonomies are flat."), Blank
    ] = None,
    page: PageParam = 1, per_page: PerPageParam = 50, format: FormatParam = "json",
) -> hsds.HsdsPage[hsds.HsdsTaxonomyTerm]:
    return _listed(format, lambda paging: service.list_taxonomy_terms(
        session, search=search, taxonomy_id=taxonomy_id, top_only=top_only, parent_id=parent_id, paging=paging,
    ), Paging(page, per_page))


@router.get("/taxonomy_terms/{id}", summary="One taxonomy term",
    responses=PROBLEM_RESPONSES, response_model_exclude_none=True,
)
def hsds_read_taxonomy_term(session: SessionDep, id: str) -> hsds.HsdsTaxonomyTerm:
    return service.get_taxonomy_term(session, id)
