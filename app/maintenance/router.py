"""The write operations every maintained entry has, added to its feature's router."""

import inspect
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response, status

from app.clients.auth import CurrentClient, WriteActor
from app.contacts.router import router as contacts_router
from app.contacts.schemas import ContactOut
from app.db import SessionDep
from app.errors import WRITE_PROBLEM_RESPONSES
from app.fields import GemeenteCode
from app.front_doors.router import router as front_doors_router
from app.front_doors.schemas import FrontDoorOut
from app.http_cache import cache_for, entity_tag, expected_versions
from app.locations.router import router as locations_router
from app.locations.schemas import LocationOut
from app.maintenance import service
from app.maintenance.kinds import CONTACT, FRONT_DOOR, LOCATION, ORGANISATION, SERVICE, Maintained
from app.maintenance.schemas import StaleReport, patch_changes, patch_model, replace_model
from app.maintenance.stale import stale_report
from app.organisations.router import router as organisations_router
from app.organisations.schemas import OrganisationOut
from app.request_checks import CheckedRoute
from app.services.router import router as services_router
from app.services.schemas import ServiceOut

IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="The ETag of the version you read (required).")
]
IfMatchOptional = Annotated[
    str | None, Header(alias="If-Match", description="Optional: the ETag of the version you checked.")
]

router = APIRouter(prefix="/maintenance", tags=["maintenance"], dependencies=[cache_for(0)], route_class=CheckedRoute)


@router.get(
    "/stale",
    summary="What needs checking: unverified services and contacts, expiring contacts, retired area codes",
    responses=WRITE_PROBLEM_RESPONSES,
)
def read_stale_report(
    session: SessionDep,
    principal: CurrentClient,
    gemeente: Annotated[GemeenteCode | None, Query(description="Default: every gemeente the key maintains.")] = None,
    older_than_days: Annotated[int, Query(ge=1, le=3650, description="Not verified for this many days.")] = 365,
) -> StaleReport:
    return stale_report(session, principal, gemeente, older_than_days)


def _named_id(endpoint: Callable[..., Any], id_name: str) -> Callable[..., Any]:
    """The endpoint with its `entity_id` parameter renamed after the path (`service_id`, …),
    so every operation on one kind of entry names its id alike in the API description."""
    signature = inspect.signature(endpoint)

    def renamed(**kwargs: Any) -> Any:
        kwargs["entity_id"] = kwargs.pop(id_name)
        return endpoint(**kwargs)

    renamed.__signature__ = signature.replace(  # type: ignore[attr-defined]  # FastAPI reads the parameters from __signature__
        parameters=[p.replace(name=id_name) if p.name == "entity_id" else p for p in signature.parameters.values()]
    )
    renamed.__name__ = endpoint.__name__
    return renamed


def add_write_routes(router: APIRouter, kind: Maintained, out_model: type[Any]) -> None:
    """POST (create), PUT (replace), PATCH (merge patch), DELETE (soft) and POST …/verify."""
    what = kind.entity_type.replace("_", " ")
    id_name = f"{kind.entity_type}_id"
    path = f"/{{{id_name}}}"
    Write = kind.write_schema
    Patch = patch_model(Write)
    Replace = replace_model(Write, out_model, kind.stands_for)

    def answer(session: Any, response: Response, entity: Any) -> Any:
        out = kind.read(session, entity.id)
        response.headers["ETag"] = entity_tag(out)
        return out

    def create(
        session: SessionDep, actor: WriteActor, request: Request, response: Response, data: Write,  # type: ignore[valid-type]  # the kind's schema, a class chosen at start-up
    ) -> Any:
        entity = service.create(session, kind, data, actor)
        response.headers["Location"] = f"{request.url.path.rstrip('/')}/{entity.id}"
        return answer(session, response, entity)

    def replace(
        session: SessionDep, actor: WriteActor, response: Response, entity_id: uuid.UUID,
        data: Replace, if_match: IfMatch = None,  # type: ignore[valid-type]  # the kind's schema, a class chosen at start-up
    ) -> Any:
        entity = service.replace(session, kind, entity_id, data, expected_versions(if_match), actor)
        return answer(session, response, entity)

    def update(
        session: SessionDep, actor: WriteActor, response: Response, entity_id: uuid.UUID,
        patch: Annotated[Patch, Body(media_type="application/merge-patch+json")],  # type: ignore[valid-type]  # the kind's patch model, made at start-up
        if_match: IfMatch = None,
    ) -> Any:
        changes = patch_changes(patch)
        entity = service.update(session, kind, entity_id, changes, expected_versions(if_match), actor)
        return answer(session, response, entity)

    def delete(session: SessionDep, actor: WriteActor, entity_id: uuid.UUID, if_match: IfMatch = None) -> None:
        service.delete(session, kind, entity_id, expected_versions(if_match), actor)

    def verify(
        session: SessionDep, actor: WriteActor, response: Response, entity_id: uuid.UUID,
        if_match: IfMatchOptional = None,
    ) -> Any:
        entity = service.verify(session, kind, entity_id, expected_versions(if_match, required=False), actor)
        return answer(session, response, entity)

    common: dict[str, Any] = {"responses": WRITE_PROBLEM_RESPONSES, "response_model": out_model}
    name = kind.entity_type.value  # route names are the operation ids of the OpenAPI description
    router.post(
        "", status_code=status.HTTP_201_CREATED, summary=f"Create a {what}", name=f"create_{name}", **common
    )(create)
    router.put(
        path, summary=f"Replace a {what} (If-Match required)", name=f"replace_{name}", **common
    )(_named_id(replace, id_name))
    router.patch(
        path, summary=f"Change some fields of a {what} (JSON merge patch, If-Match required)",
        name=f"update_{name}", **common,
    )(_named_id(update, id_name))
    router.delete(
        path, status_code=status.HTTP_204_NO_CONTENT, summary=f"Delete a {what} (soft; If-Match required)",
        name=f"delete_{name}", responses=WRITE_PROBLEM_RESPONSES,
    )(_named_id(delete, id_name))
    router.post(
        f"{path}/verify", summary=f"Mark a {what} as checked today", name=f"verify_{name}", **common
    )(_named_id(verify, id_name))


# Each maintained kind's write routes, added to its feature's router here: maintenance knows
# every kind, the features below it do not import it. This runs once, when the app imports
# this module, before app/main.py includes the feature routers.
for _router, _kind, _out in (
    (services_router, SERVICE, ServiceOut),
    (organisations_router, ORGANISATION, OrganisationOut),
    (locations_router, LOCATION, LocationOut),
    (contacts_router, CONTACT, ContactOut),
    (front_doors_router, FRONT_DOOR, FrontDoorOut),
):
    add_write_routes(_router, _kind, _out)
