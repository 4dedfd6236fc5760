from typing import Literal

from pydantic import BaseModel, Field


class AreaRef(BaseModel):
    code: str
    kind: str
    name: str


class AreaOut(BaseModel):
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
