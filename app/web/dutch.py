"""Dates, times, opening hours and waiting times as the practice page writes them: in Dutch,
in Europe/Amsterdam time ("ma t/m vr 9:00–12:30, 13:30–17:00", "±3 weken, gemeld 12 nov")."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from app.clock import local_zone

DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
DAY_NAMES = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
MONTH_NAMES = (
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
    "november", "december",
)
STALE_WAITING_DAYS = 90  # a waiting time reported longer ago than this is shown with a warning
CLOSURE_HORIZON_DAYS = 14  # closures and changed hours shown ahead


def clock(value: time | str) -> str:
    """9:00, 13:30 (no leading zero on the hour, as Dutch signs write it)."""
    moment = time.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment.hour}:{moment.minute:02d}"


def short_date(day: date | str, *, with_year: bool = False) -> str:
    """12 nov (2026)."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{value.day} {MONTHS[value.month - 1]}" + (f" {value.year}" if with_year else "")


def long_date(day: date | datetime | str) -> str:
    """15 september 2026; a moment is read in Europe/Amsterdam."""
    if isinstance(day, str):
        day = datetime.fromisoformat(day) if "T" in day else date.fromisoformat(day)
    if isinstance(day, datetime):
        day = day.astimezone(local_zone()).date()
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def weekday_date(day: date) -> str:
    """vr 25 dec."""
    return f"{DAYS[day.weekday()]} {short_date(day)}"


def _intervals(hours: Iterable[dict[str, Any]]) -> str:
    return ", ".join(f"{clock(h['opens'])}–{clock(h['closes'])}" for h in sorted(hours, key=lambda h: h["opens"]))


def week_hours(opening_hours: Sequence[dict[str, Any]]) -> list[str]:
    """The weekly hours, consecutive days with the same hours joined: ["ma t/m vr 9:00–12:30, 13:30–17:00"]."""
    per_day = [_intervals(h for h in opening_hours if h["weekday"] == day) for day in range(7)]
    lines: list[str] = []
    start = 0
    for day in range(1, 8):
        if day == 7 or per_day[day] != per_day[start]:
            if per_day[start]:
                last = day - 1
                days = DAYS[start] if last == start else f"{DAYS[start]} {'en' if last == start + 1 else 't/m'} {DAYS[last]}"
                lines.append(f"{days} {per_day[start]}")
            start = day
    return lines


def day_hours(location: dict[str, Any], day: date) -> str:
    """That day's hours of a location, its dated exception first: "9:00–12:30, 13:30–17:00" or "gesloten"."""
    for exception in location["exceptions"]:
        if exception["date"] == day.isoformat():
            if exception["opens"] is None:
                return "gesloten"
            return _intervals([exception])
    return _intervals(h for h in location["opening_hours"] if h["weekday"] == day.weekday()) or "gesloten"


def coming_exceptions(location: dict[str, Any], today: date) -> list[str]:
    """Closures and changed hours in the coming two weeks: "vr 25 dec gesloten (Eerste Kerstdag)"."""
    end = today + timedelta(days=CLOSURE_HORIZON_DAYS)
    lines = []
    for exception in sorted(location["exceptions"], key=lambda e: e["date"]):
        day = date.fromisoformat(exception["date"])
        if not today <= day <= end:
            continue
        what = "gesloten" if exception["opens"] is None else f"open {_intervals([exception])}"
        note = f" ({exception['note']})" if exception.get("note") else ""
        lines.append(f"{weekday_date(day)} {what}{note}")
    return lines


def waiting(days: int | None) -> str | None:
    """±3 weken; None when no waiting time was reported."""
    if days is None:
        return None
    if days == 0:
        return "geen wachttijd"
    if days < 14:
        return f"±{days} {'dag' if days == 1 else 'dagen'}"
    if days < 60:
        return f"±{round(days / 7)} weken"
    return f"±{round(days / 30)} maanden"


def waiting_is_stale(reported_on: str | None, today: date) -> bool:
    return reported_on is not None and (today - date.fromisoformat(reported_on)).days > STALE_WAITING_DAYS


def kilometres(value: float) -> str:
    """0,4 km."""
    return f"{value:.1f}".replace(".", ",") + " km"
