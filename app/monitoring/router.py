"""/monitoring: use of the wijkkaart, counted, with every small count suppressed."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Annotated, Literal, TypeVar

import anyio
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.clients.auth import CurrentClient
from app.db import SessionDep
from app.errors import WRITE_PROBLEM_RESPONSES
from app.http_cache import cache_for
from app.monitoring import service
from app.monitoring.schemas import ReferralMonitoring, SearchMonitoring
from app.request_checks import CheckedRoute

router = APIRouter(prefix="/monitoring", tags=["monitoring"], dependencies=[cache_for(0)], route_class=CheckedRoute)

Format = Annotated[Literal["json", "csv"], Query(description="csv: one row per cell, `;`-separated, for spreadsheets.")]
def _csv(example: str) -> dict[int | str, dict[str, object]]:
    return {200: {"content": {"text/csv": {"example": example}}, "description": "With format=csv."}}
M = TypeVar("M", ReferralMonitoring, SearchMonitoring)
_SUPPRESSION = (' Counts of 1 to 4 are "<5"; where a sum would give one away, another count is hidden as "x" '
                "(complementary suppression).")


def _answer(model: M, format: str, name: str) -> M | Response:
    if format == "json":
        return model
    rows = [cell.model_dump(mode="json") for cell in model.cells]
    return Response(service.as_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get(
    "/referrals", summary="Referrals per month, gemeente, need domain and service, by status and outcome",
    description="Admins: all; a gemeente's editors: their gemeenten's; a provider's key: its organisations' "
    "services. With the median days to first contact and the share niet_opgepakt." + _SUPPRESSION,
    responses={**WRITE_PROBLEM_RESPONSES, **_csv(
        "month;gemeente;need_domain;service_id;total;by_status.verstuurd;…\n"
        "2026-12;GM0687;financien;ab90fe43-31fa-46e8-bf12-0b335887934f;12;<5;…\n")},
    response_model=ReferralMonitoring,
)
def monitor_referrals(
    session: SessionDep, principal: CurrentClient, format: Format = "json",
    since_month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM.")] = None,
) -> ReferralMonitoring | Response:
    return _answer(service.referral_monitoring(session, principal, since_month), format, "referrals")


@router.get(
    "/searches",
    summary="GET searches per month and gemeente, by need domain and word stem, and those that found nothing",
    description="Counted per day from GET search criteria only: never a POST's patient attributes, never who "
    "searched or from where. `found_nothing`: no result for the place or within 5 km (unmet demand)." + _SUPPRESSION,
    responses={**WRITE_PROBLEM_RESPONSES, **_csv(
        "month;gemeente;dimension;value;searches;found_nothing\n2026-12;GM0687;stem;mantelzorg;37;<5\n")},
    response_model=SearchMonitoring,
)
def monitor_searches(
    session: SessionDep, principal: CurrentClient, request: Request, format: Format = "json"
) -> SearchMonitoring | Response:
    # What other workers counted is in search_tally (each flushes every FLUSH_SECONDS); this
    # worker's counts not yet written are added from memory.
    unwritten = request.app.state.search_counts.unwritten()
    return _answer(service.search_monitoring(session, principal, unwritten), format, "searches")


FLUSH_SECONDS = 60.0


def count_searches(app: FastAPI) -> None:
    """Tally the app's GET searches (app/search/observe.py) in a SearchCounts of its own."""
    app.state.search_counts = service.SearchCounts(app.state.engine)
    app.state.search_observers = [app.state.search_counts.add]


@asynccontextmanager
async def searches_counted(app: FastAPI) -> AsyncIterator[None]:
    """While the app runs, flush its search tally every FLUSH_SECONDS, so that another worker's
    monitoring sees this one's searches within a minute; and once more at shutdown."""
    counts: service.SearchCounts = app.state.search_counts

    async def keep_flushing() -> None:
        while True:
            await anyio.sleep(FLUSH_SECONDS)
            await run_in_threadpool(counts.flush)

    flushing = asyncio.get_running_loop().create_task(keep_flushing())
    try:
        yield
    finally:
        flushing.cancel()
        with suppress(asyncio.CancelledError):
            await flushing
        await run_in_threadpool(counts.flush)
