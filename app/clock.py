"""Today's date where the wijkkaart is used (validity and opening hours are local)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.settings import get_settings


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today() -> date:
    return datetime.now(local_zone()).date()


def local_aware(moment: datetime) -> datetime:
    """A time without a zone means local time (Europe/Amsterdam), as people mean it."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=local_zone())
