"""/fhir: the catalogue as FHIR R4 (application/fhir+json), read and search-type per resource type.

Left out of the OpenAPI document on purpose: that describes the REST API's conventions
(problem+json, cursor envelopes), which FHIR does not follow; a FHIR client learns this
server from GET /fhir/metadata, the CapabilityStatement, generated from the same Kinds.
"""

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel

from app.db import SessionDep
from app.fhir import service
from app.fhir.capability import capability_statement
from app.fhir.kinds import KINDS, Kind
from app.fhir.outcome import PREFIX, FhirResponse
from app.fhir.params import alternatives
from app.http_cache import LIST_SECONDS, REFERENCE_SECONDS, cache_for, conditional
from app.request_checks import refuse_too_many
from app.visibility import ViewerDep

JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


def json_only(request: Request) -> None:
    wanted = request.query_params.get("_format")
    if wanted is not None and wanted.split(";")[0].strip() not in JSON_FORMATS:
        raise HTTPException(406, "This server answers in JSON only: _format=json or application/fhir+json.")


async def bounded_query(request: Request) -> None:
    """At most so many values per parameter and per request (app/request_checks.py), each of
    a value's comma-separated alternatives counted: every one becomes a clause of the search."""
    refuse_too_many(request.query_params.multi_items(), lambda value: max(1, len(alternatives(value))))


router = APIRouter(
    prefix=PREFIX, tags=["FHIR R4"], include_in_schema=False, default_response_class=FhirResponse,
    dependencies=[Depends(json_only), Depends(bounded_query)],
)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def wants_strict(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(part.replace(" ", "") == "handling=strict" for part in re.split(r"[,;]", prefer))


class Tagged(BaseModel):
    """A resource as http_cache.conditional tags any entity: its version plus a digest of what is
    shown, since a HealthcareService shows its locations' hours and a PractitionerRole's
    telecom depends on the key."""

    version: int
    resource: dict[str, Any]


def searchset(base: str, result: service.SearchResult, resource_type: str) -> dict[str, Any]:
    def page(offset: int) -> str:
        query = urlencode([*result.applied, ("_count", result.count), ("_offset", offset)])
        return f"{base}/{resource_type}?{query}"

    links = [("self", result.offset)]
    if result.count:
        if result.offset > 0:
            links += [("first", 0), ("previous", max(0, result.offset - result.count))]
        if result.offset + result.count < result.total:
            last = (result.total - 1) // result.count * result.count
            links += [("next", result.offset + result.count), ("last", last)]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": result.total,
        "link": [{"relation": relation, "url": page(offset)} for relation, offset in links],
    }
    entries = [(resource, "match") for resource in result.resources]
    entries += [(resource, "include") for resource in result.included]
    if entries:
        bundle["entry"] = [
            {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource, "search": {"mode": mode}}
            for resource, mode in entries
        ]
    return bundle


@router.get("/metadata", name="fhir_capabilities", response_model=None, dependencies=[cache_for(REFERENCE_SECONDS)])
def capabilities(request: Request) -> dict[str, Any]:
    return capability_statement(base_url(request), request.app.version)


def _add_routes(kind: Kind) -> None:
    def search_type(request: Request, session: SessionDep, viewer: ViewerDep) -> dict[str, Any]:
        query = request.query_params.multi_items()
        result = service.search(session, kind, query, viewer, strict=wants_strict(request))
        return searchset(base_url(request), result, kind.type)

    def read(request: Request, response: Response, session: SessionDep, viewer: ViewerDep, resource_id: str) -> Any:
        resource = kind.read(session, resource_id, viewer)
        tagged = conditional(request, response, Tagged(version=int(resource["meta"]["versionId"]), resource=resource))
        return tagged if isinstance(tagged, Response) else resource

    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", kind.type).lower()
    for path, endpoint, name in (
        (f"/{kind.type}", search_type, f"fhir_search_{snake}"),
        (f"/{kind.type}/{{resource_id}}", read, f"fhir_read_{snake}"),
    ):
        router.add_api_route(
            path, endpoint, methods=["GET"], name=name, response_model=None, dependencies=[cache_for(LIST_SECONDS)]
        )


for _kind in KINDS.values():
    _add_routes(_kind)
