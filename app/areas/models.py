"""CBS areas (gemeente, wijk, buurt) and postcodes (PC4, PC6)."""

from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Index, String
from sqlmodel import Field, SQLModel


class AreaKind(StrEnum):
    gemeente = "gemeente"
    wijk = "wijk"
    buurt = "buurt"


# The database itself refuses a code whose kind, length or parent prefix is wrong:
# GM + 4, WK + the gemeente's 4 + 2, BU + the wijk's 6 + 2 (characters may be letters).
AREA_CODE_SHAPE = (
    "(kind = 'gemeente' AND length(code) = 6 AND substr(code, 1, 2) = 'GM' AND parent_code IS NULL)"
    " OR (kind = 'wijk' AND length(code) = 8 AND substr(code, 1, 2) = 'WK'"
    " AND parent_code = 'GM' || substr(code, 3, 4))"
    " OR (kind = 'buurt' AND length(code) = 10 AND substr(code, 1, 2) = 'BU'"
    " AND parent_code = 'WK' || substr(code, 3, 6))"
)


class Area(SQLModel, table=True):
    __tablename__ = "area"
    __table_args__ = (CheckConstraint(AREA_CODE_SHAPE, name="area_code_shape"),)

    code: str = Field(primary_key=True, max_length=10)
    kind: str = Field(sa_type=String(8), index=True)
    name: str
    parent_code: str | None = Field(default=None, foreign_key="area.code", index=True, max_length=8)
    lat: float | None = None
    lon: float | None = None
    first_year: int | None = None
    retired_year: int | None = None
    successor_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    version: int = 1


class PostcodeKind(StrEnum):
    """How PostNL uses a PC4 (the `soort` of the public PC4 lists)."""

    address = "address"
    po_box = "po_box"
    address_and_po_box = "address_and_po_box"
    unknown = "unknown"


class Postcode4(SQLModel, table=True):
    __tablename__ = "postcode4"
    __table_args__ = (Index("ix_postcode4_lat_lon", "lat", "lon"),)

    pc4: str = Field(primary_key=True, max_length=4)
    place: str | None = None
    gemeente_code: str | None = Field(default=None, foreign_key="area.code", index=True)
    lat: float
    lon: float
    kind: str = Field(default=PostcodeKind.address, sa_type=String(20))
    version: int = 1


class Postcode4Buurt(SQLModel, table=True):
    """A buurt a PC4 spans. `approximate` when derived from points rather than addresses."""

    __tablename__ = "postcode4_buurt"

    pc4: str = Field(foreign_key="postcode4.pc4", primary_key=True)
    buurt_code: str = Field(foreign_key="area.code", primary_key=True, index=True)
    approximate: bool = False


class Postcode6(SQLModel, table=True):
    __tablename__ = "postcode6"

    pc6: str = Field(primary_key=True, max_length=6)
    pc4: str = Field(foreign_key="postcode4.pc4", index=True)
    buurt_code: str = Field(foreign_key="area.code", index=True)
    lat: float | None = None
    lon: float | None = None
