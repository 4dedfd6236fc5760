"""Today's date where the wijkkaart is used (validity and opening hours are local)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.settings import get_settings


def local_today() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()
