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

from sqlalchemy import ColumnElement, Engine, String, and_, cast, func, true
from sqlalchemy import select as core_select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app import dialect
from app.clients.models import Role
from app.clients.scope import Principal
from app.clock import local_today
from app.db import table_of, utcnow
from app.errors import Forbidden
from app.monitoring.models import SearchTally
from app.monitoring.schemas import ReferralCell, ReferralMonitoring, SearchCell, SearchMonitoring
from app.monitoring.suppression import THRESHOLD, shown, suppress
from app.referrals.models import Referral, ReferralContactDays, ReferralDomain, ReferralTally
from app.referrals.schemas import Outcome, Status
from app.search.observe import SearchSeen
from app.services.models import Service

log = logging.getLogger("wijkkaart")

_STATUS = {status: f"status.{status.value}" for status in Status}
_OUTCOME = {outcome: f"outcome.{outcome.value}" for outcome in Outcome}
_ZERO = {"total": 0, "niet_opgepakt": 0, **dict.fromkeys(_STATUS.values(), 0), **dict.fromkeys(_OUTCOME.values(), 0)}
# A cell's total is the sum of its statuses; its afgesloten the sum of its outcomes.
_SUMS = [("total", list(_STATUS.values())), (_STATUS[Status.afgesloten], list(_OUTCOME.values()))]


def _referral_scope(principal: Principal, gemeente: Any, service: Any) -> ColumnElement[bool]:
    """Admins: all; a gemeente's editor: its gemeenten's; a provider's key: its organisations'
    services. `gemeente` and `service` are the columns of the table read."""
    if principal.role == Role.admin:
        return true()
    if principal.role != Role.editor:
        raise Forbidden("Monitoring is for admins, gemeente editors and providers.")
    clause: ColumnElement[bool] = col(gemeente).in_(sorted(principal.gemeenten))
    if principal.organisations:
        theirs = select(Service.id).where(col(Service.organisation_id).in_(sorted(principal.organisations)))
        clause = and_(clause, col(service).in_(theirs))
    return clause


Cell = tuple[str, str, str, uuid.UUID]


def referral_monitoring(session: Session, principal: Principal, since_month: str | None = None) -> ReferralMonitoring:
    """Read from the counts every change keeps (referral_tally, referral_contact_days). A referral
    still verstuurd is unacknowledged, so niet_opgepakt is those acknowledged late plus those
    verstuurd, less the few whose deadline is still to come (read through the index of those waiting)."""
    tally, days = ReferralTally, ReferralContactDays
    cells: dict[Cell, dict[str, int]] = defaultdict(lambda: dict(_ZERO))
    # Columns, not entities: a national table has tens of thousands of rows, and ORM instances cost most of the time.
    statement = core_select(  # type: ignore[call-overload]  # SQLModel types columns as their Python values
        tally.month, tally.gemeente_code, tally.domain_code, tally.service_id, tally.status, tally.outcome,
        tally.referrals, tally.acknowledged_late,
    ).where(_referral_scope(principal, tally.gemeente_code, tally.service_id))
    if since_month:
        statement = statement.where(col(tally.month) >= since_month)
    for row in session.exec(statement.where(col(tally.referrals) > 0)).all():
        cell = cells[row.month, row.gemeente_code, row.domain_code, row.service_id]
        cell["total"] += row.referrals
        cell[_STATUS[row.status]] += row.referrals
        if row.outcome:
            cell[_OUTCOME[row.outcome]] += row.referrals
        cell["niet_opgepakt"] += row.acknowledged_late
    for cell in cells.values():
        cell["niet_opgepakt"] += cell[_STATUS[Status.verstuurd]]
    for key, waiting in _not_yet_due(session, principal, since_month).items():
        if key in cells:
            cells[key]["niet_opgepakt"] -= waiting
    histogram = core_select(  # type: ignore[call-overload]  # SQLModel types columns as their Python values
        days.month, days.gemeente_code, days.domain_code, days.service_id, days.days, days.referrals,
    ).where(_referral_scope(principal, days.gemeente_code, days.service_id))
    if since_month:
        histogram = histogram.where(col(days.month) >= since_month)
    medians = _medians(session.exec(histogram.order_by(
        days.month, days.gemeente_code, days.domain_code, days.service_id, days.days)).all())
    out = []
    for key in sorted(cells, key=lambda k: (k[0], k[1], k[2], str(k[3]))):
        hidden = suppress(cells[key], _SUMS)
        share = (hidden["niet_opgepakt"] / hidden["total"]  # type: ignore[operator]
                 if shown(hidden["niet_opgepakt"]) and shown(hidden["total"]) and hidden["total"] else None)
        median, contacts = medians.get(key, (None, 0))
        out.append(ReferralCell(
            month=key[0], gemeente=key[1] or None, need_domain=key[2], service_id=key[3], total=hidden["total"],
            by_status={status.value: hidden[name] for status, name in _STATUS.items()},
            by_outcome={outcome.value: hidden[name] for outcome, name in _OUTCOME.items()},
            niet_opgepakt=hidden["niet_opgepakt"], niet_opgepakt_share=round(share, 3) if share is not None else None,
            median_days_to_first_contact=median if contacts >= THRESHOLD else None,
        ))
    return ReferralMonitoring(cells=out)


def _not_yet_due(session: Session, principal: Principal, since_month: str | None) -> dict[Cell, int]:
    """Per cell, the referrals nobody acknowledged yet whose deadline is still to come: those of
    the last working days only."""
    keys = (Referral.month, Referral.gemeente_code, ReferralDomain.domain_code, Referral.service_id)
    statement = (
        core_select(*keys, func.count())  # type: ignore[call-overload]  # SQLModel types columns as their Python values
        .join(ReferralDomain, col(ReferralDomain.referral_id) == Referral.id)
        .where(col(Referral.acknowledged_at).is_(None), col(Referral.acknowledge_by) >= utcnow(),
               _referral_scope(principal, Referral.gemeente_code, Referral.service_id))
        .group_by(*keys)
    )
    if since_month:
        statement = statement.where(col(Referral.month) >= since_month)
    return {(month, gemeente or "", domain, service): n for month, gemeente, domain, service, n in session.exec(statement)}


def _medians(rows: Any) -> dict[Cell, tuple[float, int]]:
    """Per cell, the median of the histogram's days (the middle one, or the mean of the middle
    two) and how many referrals it is taken over; `rows` ordered by cell, then days."""
    by_cell: dict[Cell, list[tuple[int, int]]] = defaultdict(list)
    for row in rows:
        if row.referrals > 0:
            by_cell[row.month, row.gemeente_code, row.domain_code, row.service_id].append((row.days, row.referrals))
    medians = {}
    for key, buckets in by_cell.items():
        size = sum(count for _, count in buckets)
        wanted, found, seen = {(size - 1) // 2, size // 2}, [], 0
        for day, count in buckets:
            found += [day for position in sorted(wanted) if seen <= position < seen + count]
            seen += count
        medians[key] = (sum(found) / len(found), size)
    return medians


def search_monitoring(
    session: Session, principal: Principal, unwritten: dict[tuple[date, str, str, str], list[int]] | None = None
) -> SearchMonitoring:
    """Admins: every gemeente; a gemeente's editor: its own. `unwritten`: counts not yet in
    search_tally (SearchCounts.unwritten), added to the stored ones."""
    if principal.role not in (Role.admin, Role.editor):
        raise Forbidden("Search monitoring is for admins and gemeente editors.")
    month = func.substr(cast(SearchTally.day, String), 1, 7)
    keys = (month.label("month"), SearchTally.gemeente_code, SearchTally.dimension, SearchTally.value)
    statement = core_select(  # type: ignore[call-overload]  # SQLModel types columns as their Python values
        *keys, func.sum(SearchTally.searches).label("searches"), func.sum(SearchTally.found_nothing).label("found_nothing"),
    ).group_by(*keys)  # the cells are sorted below, with this worker's unwritten counts among them
    visible = None if principal.role == Role.admin else principal.gemeenten  # None: every gemeente
    if visible is not None:
        statement = statement.where(col(SearchTally.gemeente_code).in_(sorted(visible)))
    totals: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in session.exec(statement).all():
        totals[row.month, row.gemeente_code, row.dimension, row.value] = [int(row.searches), int(row.found_nothing)]
    for (day, gemeente, dimension, value), (searches, nothing) in (unwritten or {}).items():
        if visible is None or gemeente in visible:
            total = totals[f"{day:%Y-%m}", gemeente, dimension, value]
            total[0], total[1] = total[0] + searches, total[1] + nothing
    cells = []
    for (in_month, gemeente, dimension, value), (searches, nothing) in sorted(totals.items()):
        hidden = suppress({"searches": searches, "found_nothing": nothing}, [])
        cells.append(SearchCell(month=in_month, gemeente=gemeente or None, dimension=dimension, value=value or None,
                                **hidden))
    return SearchMonitoring(cells=cells)


class SearchCounts:
    """A worker's tally of the GET searches it answered, by day, gemeente and dimension, written
    to search_tally by flush(): every minute and at shutdown; monitoring adds what is not written yet
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

    def unwritten(self) -> dict[tuple[date, str, str, str], list[int]]:
        """The counts not yet in search_tally: (day, gemeente, dimension, value) -> [searches, found nothing]."""
        with self._lock:
            return _rows(self._pending)

    def flush(self) -> None:
        """Add the tally to search_tally (one upsert) in a transaction of its own. Counts that could
        not be written are kept for the next flush."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
        if not pending:
            return
        rows = _rows(pending)
        try:
            with Session(self.engine) as session, session.begin():
                dialect.begin_write(session)
                _add_counts(session, rows)
        except SQLAlchemyError as error:
            log.warning("search counts kept for the next flush: %s", error.__class__.__name__)
            with self._lock:
                self._pending.update(pending)


def _rows(pending: Counter[tuple[date, str, str, str, bool]]) -> dict[tuple[date, str, str, str], list[int]]:
    rows: dict[tuple[date, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (day, gemeente, dimension, value, nothing), count in pending.items():
        rows[day, gemeente, dimension, value][0] += count
        rows[day, gemeente, dimension, value][1] += count if nothing else 0
    return rows


def _add_counts(session: Session, rows: dict[tuple[date, str, str, str], list[int]]) -> None:
    dialect.add_to_rows(session, table_of(SearchTally), [
        {"day": day, "gemeente_code": gemeente, "dimension": dimension, "value": value,
         "searches": searches, "found_nothing": nothing}
        for (day, gemeente, dimension, value), (searches, nothing) in sorted(rows.items())
    ], ["searches", "found_nothing"])


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


