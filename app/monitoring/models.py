"""The daily search counters the monitoring reads: criteria only, never who searched or where from."""

from datetime import date

from sqlalchemy import String
from sqlmodel import Field, SQLModel


class SearchTally(SQLModel, table=True):
    """Searches of one day in one gemeente, in total (`dimension` all), per need domain asked
    or per stem of the words searched for; and how many of them found nothing within 5 km."""

    __tablename__ = "search_tally"

    day: date = Field(primary_key=True)
    gemeente_code: str = Field(sa_type=String(6), primary_key=True)  # '' when the place lies in none known
    dimension: str = Field(sa_type=String(6), primary_key=True)  # all, domain, stem
    value: str = Field(sa_type=String(40), primary_key=True)  # '' for all
    searches: int = 0
    found_nothing: int = 0
