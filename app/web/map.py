"""The results map: the result locations around the patient's postcode as an SVG the server
draws (no tile server, no script). Numbers on the map are the numbers of the result cards."""

import math
from dataclasses import dataclass
from typing import Any

SIZE = 320  # the drawing's width and height in SVG units
MARGIN = 24
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_AT_EQUATOR = 111.320
SCALE_STEPS_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)


@dataclass(frozen=True)
class Marker:
    number: int
    name: str
    x: float
    y: float


@dataclass(frozen=True)
class ResultsMap:
    size: int
    centre: tuple[float, float]
    markers: list[Marker]
    scale_km: float
    scale_length: float

    @property
    def scale_label(self) -> str:
        km = self.scale_km
        return f"{round(km * 1000)} m" if km < 1 else f"{km:g} km"


def results_map(lat: float, lon: float, cards: list[dict[str, Any]]) -> ResultsMap | None:
    """A map of the cards that have a location, centred on the patient's point (equirectangular
    projection: over a region this small its distortion is far below a marker's size)."""
    located = [card for card in cards if card["location"]]
    if not located:
        return None
    x_km = KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat))

    def offset(card: dict[str, Any]) -> tuple[float, float]:
        return (card["location"]["lon"] - lon) * x_km, (card["location"]["lat"] - lat) * KM_PER_DEGREE_LAT

    offsets = [offset(card) for card in located]
    reach = max(0.5, *(max(abs(dx), abs(dy)) for dx, dy in offsets))  # km from the centre to the edge
    units_per_km = (SIZE / 2 - MARGIN) / reach
    centre = SIZE / 2
    markers = [
        Marker(card["number"], card["name"], round(centre + dx * units_per_km, 1), round(centre - dy * units_per_km, 1))
        for card, (dx, dy) in zip(located, offsets, strict=True)
    ]
    scale_km = max((step for step in SCALE_STEPS_KM if step * units_per_km <= SIZE / 3), default=SCALE_STEPS_KM[0])
    return ResultsMap(SIZE, (centre, centre), markers, scale_km, round(scale_km * units_per_km, 1))
