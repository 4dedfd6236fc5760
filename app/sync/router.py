from collections.abc import Iterator
from itertools import chain, islice
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.http_cache import cache_for
from app.request_checks import CheckedRoute
from app.sync import service
from app.sync.schemas import ChangePage
from app.visibility import Viewer, ViewerDep

router = APIRouter(tags=["sync"], dependencies=[cache_for(0)], route_class=CheckedRoute)

NDJSON = "application/x-ndjson"
DOWNLOAD = "application/octet-stream"
CHUNK_LINES = 500  # lines a body chunk: few sends, little memory
NDJSON_EXAMPLE = (
    '{"type":"cursor","next_cursor":"4G0Jl7u6sSMFozLKmNoYOnsicyI6ImNoYW5nZXMiLCJrIjpbNDE4M119"}\n'
    '{"type":"area","id":"GM0687","entity":{"code":"GM0687","kind":"gemeente","name":"Middelburg","parent_code":null,'
    '"lat":51.495013,"lon":3.662592,"first_year":2014,"retired_year":null,"successor_codes":[],"version":1}}\n'
    '{"type":"front_door","id":"465a3911-5883-40b9-ae60-5f4b7c259892","entity":{"id":"465a3911-5883-40b9-ae60-5f4b7c259892",'
    '"version":1,"created_at":"2026-01-20T09:00:00Z","updated_at":"2026-01-20T09:00:00Z","last_verified_at":null,'
    '"external_id":null,"area_code":"BU06870301","topic":"financien","service_id":"ab90fe43-31fa-46e8-bf12-0b335887934f",'
    '"contact_id":"a49b160b-7a16-4103-8691-b29d3f83daa3","note":null}}\n'
)


@router.get(
    "/changes",
    summary="What changed since your cursor, in commit order",
    description=(
        "Start with the cursor of a full export (`/api/v1/export.ndjson`), then poll with each `next_cursor`. "
        "Upserts carry the entry as its read endpoint returns it (with your key's visibility); deletes are "
        "tombstones. Cursors never skip or repeat a change and survive restarts. A 410 means the cursor is older "
        "than the log keeps: do a full export again."
    ),
    responses=PROBLEM_RESPONSES,
)
def list_changes(
    session: SessionDep,
    viewer: ViewerDep,
    since: Annotated[str | None, Query(description="A `next_cursor`; omit to read from the very first change.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> ChangePage:
    return service.changes_since(session, viewer, since, limit)


@router.get(
    "/export.ndjson",
    summary="The whole catalogue, one entry a line, with the cursor to continue from",
    description=(
        'Newline-delimited JSON. The first line is `{"type": "cursor", "next_cursor": …}`; every next line is '
        '`{"type": <entity type>, "id": …, "entity": {…}}` for one live entry: areas, postcodes, '
        "organisations, locations, services, contacts, front doors, in that order. All of it is read from one "
        "snapshot, so continuing from the cursor with /api/v1/changes misses nothing. Streamed: memory stays flat."
    ),
    response_class=StreamingResponse,
    responses={
        200: {
            # The same lines as a plain download too (with `Accept: application/octet-stream`): a
            # client generator that knows no NDJSON then still reads the body, as bytes.
            "content": {
                NDJSON: {"schema": {"type": "string"}, "example": NDJSON_EXAMPLE},
                DOWNLOAD: {"schema": {"type": "string", "format": "binary"}, "example": NDJSON_EXAMPLE},
            },
            "description": "One JSON object per line.",
        },
        401: PROBLEM_RESPONSES[401],
    },
)
def export_catalogue(request: Request, viewer: ViewerDep) -> StreamingResponse:
    engine = request.app.state.databases.for_read(request)  # a replica's, where one serves (app.replicas)

    def lines(who: Viewer) -> Iterator[bytes]:
        # Its own session: the request's ends before a streamed body is sent.
        with Session(engine) as session, session.begin():
            encoded = service.export_lines(session, who)
            yield next(encoded)  # the cursor goes out at once
            while chunk := b"".join(islice(encoded, CHUNK_LINES)):
                yield chunk

    body = lines(viewer)
    # Read the first line before answering: a database that is away then gets its 503, not a
    # 200 with an empty body. (Once streaming, a failure can only cut the body short; the
    # chunked transfer then lacks its end, which HTTP clients report as an incomplete read.)
    first = next(body)
    accepted = request.headers.get("accept", "")
    media_type = DOWNLOAD if DOWNLOAD in accepted and NDJSON not in accepted else NDJSON
    return StreamingResponse(chain([first], body), media_type=media_type)
