import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from app.db import SessionDep, reads_only
from app.errors import PROBLEM_RESPONSES
from app.geojson import GEOJSON_RESPONSE, feature_collection, wants_geojson
from app.http_cache import LIST_SECONDS, cache_for, cache_headers
from app.request_checks import CheckedRoute, Handler
from app.search import cache, observe, service
from app.search.schemas import SearchCriteria, SearchPage, SearchRequest
from app.visibility import Viewer, ViewerDep, viewer_without_lookup

T = TypeVar("T")


class _ReplayingRoute(CheckedRoute):
    """Answers a GET that was answered before from the response cache, before FastAPI reads
    the criteria and solves the dependencies (app/search/cache.py, request_key); every other
    request goes the route's usual way. The route's checks come first (a query string with a
    repeated single-valued parameter is refused, never replayed)."""

    def answering(self, handler: Handler) -> Handler:
        async def replaying(request: Request) -> Response:
            return _replayed(request) or await handler(request)

        return replaying


def _replayed(request: Request) -> Response | None:
    if request.method != "GET" or not (responses := cache.for_app(request)).enabled:
        return None
    # All known without the database, or the request goes the usual way.
    if (engine := request.app.state.databases.known_reading(request)) is None:
        return None
    version, viewer = responses.data_version.known(engine), viewer_without_lookup(request)
    if version is cache.UNKNOWN or viewer is None:
        return None
    sent = cache.request_key(request, viewer, _representation(request), version)
    if sent is None or (entry := responses.replay(sent)) is None:
        return None
    observe.publish(request, entry.seen)
    return Response(entry.body, media_type=entry.media_type, headers=cache_headers(request, LIST_SECONDS))


router = APIRouter(
    prefix="/search", tags=["search"], dependencies=[cache_for(LIST_SECONDS)], route_class=_ReplayingRoute
)

_DESCRIPTION = (
    "What helps with this problem, near this patient — and whom to call. Results are ranked by how "
    "specifically a service covers the patient (buurt, wijk, gemeente, then radius for services open "
    "to anyone), then by distance. With `q`, by relevance band first (a word in the service's name weighs "
    "most, then a need domain it names, then the description; each result's `why` says which), then as "
    "above; when nothing matches `q`, the page offers the services of the nearest related need domain "
    "(`fallback`)."
)


def _representation(request: Request) -> str:
    return "geojson" if wants_geojson(request) else "json"


def _rendered(
    request: Request, response: Response, page: dict[str, Any], seen: observe.SearchSeen | None = None
) -> cache.CachedResponse:
    """The page as JSON, or with `Accept: application/geo+json` its results as points at their nearest location."""
    if not wants_geojson(request):
        return cache.CachedResponse("application/json", orjson.dumps(page), seen)
    collection = feature_collection(
        page["items"],
        lambda result: (result["nearest_location"]["lat"], result["nearest_location"]["lon"])
        if result["nearest_location"] else None,
        page["next_cursor"],
        response.headers,
    )
    return cache.CachedResponse(collection.media_type, bytes(collection.body), seen)


def _sent(entry: cache.CachedResponse, response: Response) -> Response:
    """The rendered page, with the headers the route and its dependencies set on `response`."""
    headers = {name: value for name, value in response.headers.items() if name != "content-length"}
    return Response(entry.body, media_type=entry.media_type, headers=headers)


@router.get(
    "", summary="Search services by postcode or point", description=_DESCRIPTION,
    responses={**PROBLEM_RESPONSES, **GEOJSON_RESPONSE},
)
async def search_get(
    session: SessionDep, viewer: ViewerDep, request: Request, response: Response,
    criteria: Annotated[SearchCriteria, Query()],
) -> SearchPage:
    # Served from the response cache (app/search/cache.py): a GET carries no patient attributes.
    # The same request sent again is answered by _ReplayingRoute; here, the same criteria
    # read from another request are a hit on the event loop. Reading the data version runs
    # in the thread pool, and a miss is computed in a thread under the worker's search limit.
    responses = cache.for_app(request)
    key, sent = "", None
    if responses.enabled:
        # A client that may have written reads the version anew: a write it made through
        # another API node must not be answered from this node's older entries.
        fresh = request.app.state.databases.looks_up_last_write(request)
        version = cache.UNKNOWN if fresh else responses.data_version.known(session.get_bind().engine)
        if version is cache.UNKNOWN:
            version = await run_in_threadpool(responses.data_version.read, session, fresh)
        representation = _representation(request)
        key = cache.key(criteria, viewer, representation, version)
        sent = cache.request_key(request, viewer, representation, version)
    entry = responses.get(key) if key else None
    if entry is None:
        entry = await _computed(request, _answer, session, criteria, viewer, request, response)
        responses.put(key, entry)
    responses.remember_request(sent, key)
    observe.publish(request, entry.seen)
    return _sent(entry, response)  # type: ignore[return-value]  # the declared type documents the JSON page; the cached bytes go out as they are


async def _computed(request: Request, compute: Callable[..., T], *args: Any) -> T:
    """compute(*args) in a thread, as one of the searches the worker computes at once
    (app.state.search_limiter, sized by the search_threads setting)."""
    return await anyio.to_thread.run_sync(compute, *args, limiter=request.app.state.search_limiter)


def _answer(
    session: Session, criteria: SearchCriteria, viewer: Viewer, request: Request, response: Response
) -> cache.CachedResponse:
    page = service.search(session, criteria, viewer)
    return _rendered(request, response, page, observe.seen(criteria, page))


@router.post(
    "",
    summary="Search with the patient's attributes, for an eligibility verdict per result",
    description=_DESCRIPTION + " Patient attributes are used for this answer only: never stored, never "
    "logged, and the response is not cached (`Cache-Control: no-store`).",
    responses={**PROBLEM_RESPONSES, **GEOJSON_RESPONSE},
)
@reads_only
async def search_post(
    session: SessionDep, viewer: ViewerDep, request: Request, response: Response, body: SearchRequest
) -> SearchPage:
    response.headers["Cache-Control"] = "no-store"
    criteria = SearchCriteria.model_validate(body.model_dump(exclude={"patient", "eligible_only"}))
    search = functools.partial(service.search, patient=body.patient, eligible_only=body.eligible_only)
    page = await _computed(request, search, session, criteria, viewer)
    return _sent(_rendered(request, response, page), response)  # type: ignore[return-value]  # the declared type documents the JSON page; the cached bytes go out as they are
