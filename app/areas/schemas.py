from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.fields import schema_examples

_GEMEENTE_REF = {"code": "GM0687", "kind": "gemeente", "name": "Middelburg"}
_WIJK_REFS = [
    {"code": "WK068700", "kind": "wijk", "name": "Wijk 00 Middelburg-Centrum"},
    {"code": "WK068701", "kind": "wijk", "name": "Wijk 01 Middelburg-Noord"},
]
AREA_EXAMPLE = {
    **_GEMEENTE_REF, "lat": 51.495013, "lon": 3.662592, "first_year": 2014, "retired_year": None,
    "successor_codes": [], "parent": None, "children": _WIJK_REFS,
}
POSTCODE_EXAMPLE = {
    "postcode": "4331AB", "pc4": "4331", "resolved_via": "pc4", "place": "Middelburg",
    "lat": 51.4989019, "lon": 3.6135855, "gemeente": _GEMEENTE_REF, "wijken": _WIJK_REFS,
    "buurten": [
        {"code": "BU06870000", "kind": "buurt", "name": "Binnenstad", "approximate": True},
        {"code": "BU06870101", "kind": "buurt", "name": "Klarenbeek", "approximate": True},
    ],
}


class AreaRef(BaseModel):
    code: str
    kind: str
    name: str


class AreaOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(AREA_EXAMPLE))

    code: str = Field(examples=["WK068700"])
    kind: str = Field(examples=["wijk"])
    name: str = Field(examples=["Wijk 00 Middelburg-Centrum"])
    lat: float | None
    lon: float | None
    first_year: int | None
    retired_year: int | None = Field(description="Null while the code is current.")
    successor_codes: list[str]
    parent: AreaRef | None
    children: list[AreaRef]


class BuurtRef(AreaRef):
    approximate: bool = Field(
        description="True when derived from points (the buurt nearest the PC4) rather than from addresses."
    )


class PostcodeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(POSTCODE_EXAMPLE))

    postcode: str = Field(examples=["4331AB"], description="The canonical form of what was asked.")
    pc4: str = Field(examples=["4331"])
    resolved_via: Literal["pc6", "pc4"] = Field(
        description="`pc6` when the PC6 has its own row; `pc4` when resolved through its PC4."
    )
    place: str | None
    lat: float
    lon: float
    gemeente: AreaRef | None
    wijken: list[AreaRef]
    buurten: list[BuurtRef]
