"""Use monitoring: referrals and searches counted per month, gemeente, need domain (and service
or word stem), suppressed so that no small count leaves the API."""

import csv
import io
import logging
import threading
import uuid
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Engine, String, and_, case, cast, func, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app import dialect
from app.clients.models import Role
from app.clients.scope import Principal
from app.clock import local_today
from app.db import utcnow
from app.errors import Forbidden
from app.monitoring.models import SearchTally
from app.monitoring.schemas import ReferralCell, ReferralMonitoring, SearchCell, SearchMonitoring
from app.monitoring.suppression import THRESHOLD, shown, suppress
from app.referrals.models import Referral, ReferralDomain
from app.referrals.schemas import Outcome, Status
from app.referrals.service import niet_opgepakt_clause
from app.search.observe import SearchSeen
from app.services.models import Service

log = logging.getLogger("wijkkaart")

_STATUS = {status: f"status.{status.value}" for status in Status}
_OUTCOME = {outcome: f"outcome.{outcome.value}" for outcome in Outcome}
_ZERO = {"total": 0, "niet_opgepakt": 0, **dict.fromkeys(_STATUS.values(), 0), **dict.fromkeys(_OUTCOME.values(), 0)}
# A cell's total is the sum of its statuses; its afgesloten the sum of its outcomes.
_SUMS = [("total", list(_STATUS.values())), (_STATUS[Status.afgesloten], list(_OUTCOME.values()))]


def _referral_scope(principal: Principal) -> ColumnElement[bool]:
    """Admins: all; a gemeente's editor: its gemeenten's; a provider's key: its organisations' services."""
    if principal.role == Role.admin:
        return true()
    if principal.role != Role.editor:
        raise Forbidden("Monitoring is for admins, gemeente editors and providers.")
    clause = col(Referral.gemeente_code).in_(sorted(principal.gemeenten))
    if principal.organisations:
        theirs = select(Service.id).where(col(Service.organisation_id).in_(sorted(principal.organisations)))
        clause = and_(clause, col(Referral.service_id).in_(theirs))
    return clause


def _cell_key(row: Any) -> tuple[str, str | None, str, uuid.UUID]:
    return row.month, row.gemeente_code, row.domain_code, row.service_id


def referral_monitoring(session: Session, principal: Principal, since_month: str | None = None) -> ReferralMonitoring:
    scope = _referral_scope(principal)
    if since_month:
        scope = and_(scope, col(Referral.month) >= since_month)
    late = niet_opgepakt_clause(utcnow())
    keys = (Referral.month, Referral.gemeente_code, ReferralDomain.domain_code, Referral.service_id)
    counts = session.exec(
        select(*keys, Referral.status, Referral.outcome, func.count().label("n"),
               func.sum(case((late, 1), else_=0)).label("late"))
        .join(ReferralDomain, ReferralDomain.referral_id == Referral.id)  # type: ignore[arg-type]
        .where(scope).group_by(*keys, Referral.status, Referral.outcome)
    ).all()
    cells: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict(_ZERO))
    for row in counts:
        cell = cells[_cell_key(row)]
        cell["total"] += row.n
        cell[_STATUS[row.status]] += row.n
        if row.outcome:
            cell[_OUTCOME[row.outcome]] += row.n
        cell["niet_opgepakt"] += row.late
    medians = _medians(session, scope)
    out = []
    for key in sorted(cells, key=lambda k: (k[0], k[1] or "", k[2], str(k[3]))):
        hidden = suppress(cells[key], _SUMS)
        share = (hidden["niet_opgepakt"] / hidden["total"]  # type: ignore[operator]
                 if shown(hidden["niet_opgepakt"]) and shown(hidden["total"]) and hidden["total"] else None)
        median, contacts = medians.get(key, (None, 0))
        out.append(ReferralCell(
            month=key[0], gemeente=key[1], need_domain=key[2], service_id=key[3], total=hidden["total"],
            by_status={status.value: hidden[name] for status, name in _STATUS.items()},
            by_outcome={outcome.value: hidden[name] for outcome, name in _OUTCOME.items()},
            niet_opgepakt=hidden["niet_opgepakt"], niet_opgepakt_share=round(share, 3) if share is not None else None,
            median_days_to_first_contact=round(median, 1) if median is not None and contacts >= THRESHOLD else None,
        ))
    return ReferralMonitoring(cells=out)


def _medians(session: Session, scope: ColumnElement[bool]) -> dict[tuple[Any, ...], tuple[float, int]]:
    """Per cell, the median of days_to_contact and how many it is taken over: the middle one or
    two of each cell's ordered values, found by window functions (both databases have them)."""
    keys = (Referral.month, Referral.gemeente_code, ReferralDomain.domain_code, Referral.service_id)
    ranked = (
        select(*keys, Referral.days_to_contact,
               func.row_number().over(partition_by=keys, order_by=Referral.days_to_contact).label("rank"),
               func.count().over(partition_by=keys).label("size"))
        .join(ReferralDomain, ReferralDomain.referral_id == Referral.id)  # type: ignore[arg-type]
        .where(scope, col(Referral.days_to_contact).is_not(None))
        .subquery()
    )
    middle = (ranked.c.rank == (ranked.c.size + 1) / 2) | (ranked.c.rank == (ranked.c.size + 2) / 2)
    rows = session.exec(
        select(ranked.c.month, ranked.c.gemeente_code, ranked.c.domain_code, ranked.c.service_id,
               func.avg(ranked.c.days_to_contact).label("median"), func.max(ranked.c.size).label("size"))
        .where(middle).group_by(ranked.c.month, ranked.c.gemeente_code, ranked.c.domain_code, ranked.c.service_id)
    ).all()
    return {_cell_key(row): (float(row.median), row.size) for row in rows}


def search_monitoring(session: Session, principal: Principal) -> SearchMonitoring:
    """Admins: every gemeente; a gemeente's editor: its own."""
    if principal.role not in (Role.admin, Role.editor):
        raise Forbidden("Search monitoring is for admins and gemeente editors.")
    month = func.substr(cast(SearchTally.day, String), 1, 7)
    keys = (month.label("month"), SearchTally.gemeente_code, SearchTally.dimension, SearchTally.value)
    statement = select(*keys, func.sum(SearchTally.searches).label("searches"),
                       func.sum(SearchTally.found_nothing).label("found_nothing")).group_by(*keys).order_by(*keys)
    if principal.role != Role.admin:
        statement = statement.where(col(SearchTally.gemeente_code).in_(sorted(principal.gemeenten)))
    cells = []
    for row in session.exec(statement).all():
        hidden = suppress({"searches": int(row.searches), "found_nothing": int(row.found_nothing)}, [])
        cells.append(SearchCell(month=row.month, gemeente=row.gemeente_code or None, dimension=row.dimension,
                                value=row.value or None, **hidden))
    return SearchMonitoring(cells=cells)


class SearchCounts:
    """A worker's tally of the GET searches it answered, by day, gemeente and dimension, written
    to search_tally by flush(): every minute, before monitoring reads it, and at shutdown
    (app/monitoring/router.py, keep_flushing).

    add() is the search's observer (app/search/observe.py): it runs on the event loop for every
    answer, from the response cache too, so it only counts in memory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pending: Counter[tuple[date, str, str, str, bool]] = Counter()
        self._lock = threading.Lock()

    def add(self, seen: SearchSeen) -> None:
        day, gemeente = local_today(), seen.gemeente or ""
        keys = [("all", ""), *(("domain", d) for d in seen.domains), *(("stem", s[:40]) for s in seen.stems)]
        with self._lock:
            for dimension, value in keys:
                self._pending[day, gemeente, dimension, value, seen.found_nothing] += 1

    def flush(self) -> None:
        """Add the tally to search_tally (one upsert) in a transaction of its own. Counts that could
        not be written are kept for the next flush."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
        if not pending:
            return
        rows: dict[tuple[date, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        for (day, gemeente, dimension, value, nothing), count in pending.items():
            rows[day, gemeente, dimension, value][0] += count
            rows[day, gemeente, dimension, value][1] += count if nothing else 0
        try:
            with Session(self.engine) as session, session.begin():
                dialect.begin_write(session)
                _add_counts(session, rows)
        except SQLAlchemyError as error:
            log.warning("search counts kept for the next flush: %s", error.__class__.__name__)
            with self._lock:
                self._pending.update(pending)


def _add_counts(session: Session, rows: dict[tuple[date, str, str, str], list[int]]) -> None:
    table = SearchTally.__table__  # type: ignore[attr-defined]
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(table).values([
        {"day": day, "gemeente_code": gemeente, "dimension": dimension, "value": value,
         "searches": searches, "found_nothing": nothing}
        for (day, gemeente, dimension, value), (searches, nothing) in sorted(rows.items())
    ])
    session.execute(statement.on_conflict_do_update(
        index_elements=["day", "gemeente_code", "dimension", "value"],
        set_={"searches": table.c.searches + statement.excluded.searches,
              "found_nothing": table.c.found_nothing + statement.excluded.found_nothing},
    ))


def as_csv(rows: list[dict[str, Any]]) -> str:
    """Flat rows (nested dicts as dotted columns) as CSV, for spreadsheets."""
    flat = [_flatten(row) for row in rows]
    out = io.StringIO()
    if flat:
        writer = csv.DictWriter(out, fieldnames=list(flat[0]), delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)
    return out.getvalue()


def _flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, dict):
            flat |= _flatten(value, f"{prefix}{name}.")
        else:
            flat[f"{prefix}{name}"] = "" if value is None else value
    return flat


