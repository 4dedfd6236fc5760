"""/monitoring: use of the wijkkaart, counted, with every small count suppressed."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.clients.auth import CurrentClient
from app.db import SessionDep
from app.errors import WRITE_PROBLEM_RESPONSES
from app.http_cache import cache_for
from app.monitoring import service
from app.monitoring.schemas import ReferralMonitoring, SearchMonitoring
from app.request_checks import CheckedRoute

router = APIRouter(prefix="/monitoring", tags=["monitoring"], dependencies=[cache_for(0)], route_class=CheckedRoute)

Format = Annotated[Literal["json", "csv"], Query(description="csv: one row per cell, `;`-separated, for spreadsheets.")]
_CSV = {200: {"content": {"text/csv": {}}, "description": "With format=csv."}}
_SUPPRESSION = (' Counts of 1 to 4 are "<5"; where a sum would give one away, another count is hidden as "x" '
                "(complementary suppression).")


def _answer(model: ReferralMonitoring | SearchMonitoring, format: str, name: str) -> ReferralMonitoring | SearchMonitoring | Response:
    if format == "json":
        return model
    rows = [cell.model_dump(mode="json") for cell in model.cells]
    return Response(service.as_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get(
    "/referrals", summary="Referrals per month, gemeente, need domain and service, by status and outcome",
    description="Admins: all; a gemeente's editors: their gemeenten's; a provider's key: its organisations' "
    "services. With the median days to first contact and the share niet_opgepakt." + _SUPPRESSION,
    responses={**WRITE_PROBLEM_RESPONSES, **_CSV}, response_model=ReferralMonitoring,
)
def monitor_referrals(
    session: SessionDep, principal: CurrentClient, format: Format = "json",
    since_month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM.")] = None,
) -> ReferralMonitoring | Response:
    return _answer(service.referral_monitoring(session, principal, since_month), format, "referrals")


@router.get(
    "/searches", summary="GET searches per month and gemeente, by need domain and word stem, and those that found nothing",
    description="Counted per day from GET search criteria only: never a POST's patient attributes, never who "
    "searched or from where. `found_nothing`: no result for the place or within 5 km (unmet demand)." + _SUPPRESSION,
    responses={**WRITE_PROBLEM_RESPONSES, **_CSV}, response_model=SearchMonitoring,
)
def monitor_searches(session: SessionDep, principal: CurrentClient, format: Format = "json") -> SearchMonitoring | Response:
    return _answer(service.search_monitoring(session, principal), format, "searches")
