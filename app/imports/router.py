"""POST /import (CSV files or JSON) and GET /export/{kind}.csv."""

import json
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from app.clients.auth import WriteActor
from app.db import SessionDep, reads_only_when
from app.errors import WRITE_PROBLEM_RESPONSES, InvalidInput
from app.fields import GemeenteCode
from app.imports.csv_layout import ENTITIES
from app.imports.export import export_csv
from app.imports.reading import JSON_ERRORS, Source, normalise_entity
from app.imports.schemas import ImportBatch, ImportReport
from app.imports.service import json_parts, read_sources, run_import
from app.request_checks import CheckedRoute, is_json, media_type

router = APIRouter(tags=["import and export"], route_class=CheckedRoute)

Entity = StrEnum("Entity", {entity: entity for entity in ENTITIES})  # type: ignore[misc]  # mypy does not follow the functional Enum API over a computed mapping

_FILES = {
    "type": "object",
    "description": "One CSV (or JSON) file per kind of entry. The field name tells the kind "
    f"({', '.join(ENTITIES)}); under any other name (e.g. `files`) the file name does (services.csv).",
    "properties": {entity: {"type": "string", "format": "binary"} for entity in ENTITIES},
}
_CSV_EXAMPLE = (
    "id;external_id;organisation_id;name;need_domains;access_route;waiting_days;waiting_reported_on\r\n"
    ";MBG-WMO-01;05757a36-617b-4498-acfe-7b4f47bdb4e6;Schuldhulpverlening Walcheren;financien;vrij_toegankelijk;"
    "14;2026-11-01\r\n"
)
_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": _FILES, "example": {"services": _CSV_EXAMPLE}},
            "application/json": {"schema": ImportBatch.model_json_schema()},
        },
    }
}


_BOOLEAN = TypeAdapter(bool)


def _dry_run(request: Request) -> bool:
    """Whether the request asks for a dry run, read as FastAPI reads `dry_run` (a value it
    refuses: no, and FastAPI answers 422)."""
    try:
        return _BOOLEAN.validate_python(request.query_params.get("dry_run", False))
    except ValidationError:
        return False


@router.post(
    "/import",
    summary="Import entries in bulk from CSV files or JSON: all rows or none",
    description=(
        "Rows are matched on `id`, else `external_id`: a match is replaced by the row's columns "
        "(columns left out stay), no match is created. Every row goes through the same checks, scope "
        "rules and audit trail as a single write. Any bad row: 422 listing every bad row "
        "(file, row, field), and nothing is written. See docs/maintenance.md, \"Bulk import\", for the CSV layout."
    ),
    responses=WRITE_PROBLEM_RESPONSES,
    openapi_extra=_REQUEST_BODY,
)
@reads_only_when(_dry_run, on_replica=False)  # a dry run writes to a scratch copy: the request holds no write lock
async def import_entries(
    request: Request,
    session: SessionDep,
    actor: WriteActor,
    dry_run: Annotated[bool, Query(description="Report what the import would do, and write nothing.")] = False,
) -> ImportReport:
    # CheckedRoute has refused a body in any other media type than those _REQUEST_BODY documents.
    content_type = media_type(request.headers.get("content-type", ""))
    if is_json(content_type):
        try:
            document: Any = json.loads(await request.body())
        except JSON_ERRORS as exc:
            raise InvalidInput(f"The body is not valid JSON: {exc}", field="body") from exc
        parts = json_parts(document)
        return await run_in_threadpool(run_import, session, parts, actor, dry_run=dry_run)
    if content_type != "multipart/form-data":  # and no body
        raise InvalidInput("No body: send CSV or JSON files as multipart/form-data, or the batch as application/json.",
                           field="body")
    try:
        form = await request.form()
    except HTTPException as exc:  # Starlette's 400 for a body that is not multipart as its header says
        raise InvalidInput(f"The body is not valid multipart/form-data: {exc.detail}", field="body") from exc
    try:
        sources = []
        for name, value in form.multi_items():
            if not isinstance(value, UploadFile):
                raise InvalidInput(f"The form field {name!r} is not a file; send one file per kind of entry.", field=name)
            sources.append(Source(value.filename or name, value.file, normalise_entity(name)))
        if not sources:
            raise InvalidInput("No files: send one per kind of entry, e.g. services=@services.csv.", field="body")
        parts, errors = read_sources(sources)
        return await run_in_threadpool(run_import, session, parts, actor, dry_run=dry_run, errors=errors)
    finally:
        await form.close()


@router.get(
    "/export/{entity}.csv",
    summary="Export the entries you may change as CSV, in the import layout",
    description=(
        "An editor's export holds the entries its key may change (its gemeenten, its organisations); "
        "an admin's everything, or one gemeente's. UTF-8 with a byte-order mark, `;` and decimal commas "
        "by default, as Dutch Excel opens it. Importing the file unchanged changes nothing."
    ),
    response_class=Response,
    responses={**WRITE_PROBLEM_RESPONSES,
               200: {"content": {"text/csv": {"example": "\ufeff" + _CSV_EXAMPLE}}, "description": "The CSV file."}},
)
def export_entries(
    session: SessionDep,
    actor: WriteActor,
    entity: Entity,
    gemeente: Annotated[GemeenteCode | None, Query(description="Only the entries this gemeente owns.")] = None,
    delimiter: Annotated[str, Query(pattern="^[;,]$", description="`;` (with decimal commas) or `,`.")] = ";",
) -> Response:
    text = export_csv(session, entity.value, actor, gemeente, delimiter)
    return Response(
        text.encode("utf-8"), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{entity.value}.csv"', "Cache-Control": "no-store"},
    )
