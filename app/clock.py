"""Today's date where the wijkkaart is used (validity and opening hours are local)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.settings import get_settings


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today() -> date:
    return datetime.now(local_zone()).date()


def local_aware(moment: datetime) -> datetime:
    """A time without a zone means local time (Europe/Amsterdam), as people mean it."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=local_zone())


def local_moment(moment: datetime) -> datetime:
    """local_aware(moment), refused (ValueError) where UTC or local time cannot express it:
    Python's calendar spans the years 1 to 9999, so 9999-12-31T23:00-05:00 has no UTC
    time, and comparing or storing it would fail."""
    aware = local_aware(moment)
    try:
        aware.astimezone(UTC).astimezone(local_zone())
    except OverflowError:
        raise ValueError("a moment from the year 1 to 9999, in UTC and in local time alike") from None
    return aware
