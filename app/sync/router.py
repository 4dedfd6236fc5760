from collections.abc import Iterator
from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.http_cache import cache_for
from app.sync import service
from app.sync.schemas import ChangePage
from app.visibility import Viewer, ViewerDep

router = APIRouter(tags=["sync"], dependencies=[cache_for(0)])

NDJSON = "application/x-ndjson"
CHUNK_LINES = 500  # lines a body chunk: few sends, little memory


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
    responses={200: {"content": {NDJSON: {}}, "description": "One JSON object per line."}, 401: PROBLEM_RESPONSES[401]},
)
def export_catalogue(request: Request, viewer: ViewerDep) -> StreamingResponse:
    engine = request.app.state.engine

    def lines(who: Viewer) -> Iterator[bytes]:
        # Its own session: the request's ends before a streamed body is sent.
        with Session(engine) as session, session.begin():
            encoded = service.export_lines(session, who)
            yield next(encoded)  # the cursor goes out at once
            while chunk := b"".join(islice(encoded, CHUNK_LINES)):
                yield chunk

    return StreamingResponse(lines(viewer), media_type=NDJSON)
