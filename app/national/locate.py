"""Finding a place's gemeente: by name, by the nearest known area point, and through re-divisions."""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from app.areas.models import Area, AreaKind
from app.db import table_of
from app.national.sources import normalise_name

_CELL = 0.05  # degrees: a grid cell of about 5 by 3.5 km
_MAX_REACH = 40  # cells: nothing within about 150 km is not a Dutch place


def distance_sq(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular: ample for ranking points within the country."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return x * x + y * y


class PointIndex:
    """Nearest labelled point, on a grid, without comparing against every point."""

    def __init__(self, points: Iterable[tuple[float, float, str]]) -> None:
        self._grid: defaultdict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
        for lat, lon, label in points:
            self._grid[(int(lat // _CELL), int(lon // _CELL))].append((lat, lon, label))

    def _ring(self, row: int, col: int, reach: int) -> Iterable[tuple[float, float, str]]:
        for dy in range(-reach, reach + 1):
            for dx in range(-reach, reach + 1):
                if max(abs(dy), abs(dx)) == reach:
                    yield from self._grid.get((row + dy, col + dx), ())

    def nearest(self, lat: float, lon: float) -> str | None:
        row, col = int(lat // _CELL), int(lon // _CELL)
        found: list[tuple[float, float, str]] = list(self._grid.get((row, col), ()))
        reach = 0
        while not found and reach < _MAX_REACH:
            reach += 1
            found = list(self._ring(row, col, reach))
        if not found:
            return None
        # A point one ring further out can still be nearer than one in a cell's corner.
        found += self._ring(row, col, reach + 1)
        return min(found, key=lambda p: (distance_sq(lat, lon, p[0], p[1]), p[2]))[2]


@dataclass(frozen=True)
class GemeenteInfo:
    code: str
    name: str
    lat: float | None
    lon: float | None
    retired: bool
    successors: tuple[str, ...]


# What to say about a place whose gemeente is not (or not currently) known.
NO_GEMEENTE = "no gemeente of that name, and no area point within reach"
RETIRED_WITHOUT_SUCCESSOR = "its gemeente has retired and no successor is known (import a successor list)"


class GemeenteFinder:
    """The current gemeente of a place, from the areas stored.

    By name first: the PC4 lists name municipalities, often as they were before a merger
    ("Boxmeer"), so retired gemeenten count too and lead on to their successors. Within
    one name, the province decides where known, else the nearest gemeente point. Without a
    name match, the nearest area label point (buurt, wijk or gemeente) gives the gemeente.
    """

    def __init__(self, session: Session, provinces: dict[str, str] | None = None) -> None:
        area = table_of(Area)
        self.gemeenten: dict[str, GemeenteInfo] = {}
        labelled: list[tuple[float, float, str]] = []
        for row in session.execute(select(
            area.c.code, area.c.kind, area.c.name, area.c.lat, area.c.lon, area.c.retired_year, area.c.successor_codes,
        )):
            if row.kind == AreaKind.gemeente:
                self.gemeenten[row.code] = GemeenteInfo(
                    row.code, row.name, row.lat, row.lon, row.retired_year is not None, tuple(row.successor_codes or ()),
                )
            if row.lat is not None and row.lon is not None:
                labelled.append((row.lat, row.lon, "GM" + row.code[2:6]))
        self.provinces = provinces or {}
        self.by_name: defaultdict[str, list[GemeenteInfo]] = defaultdict(list)
        for info in self.gemeenten.values():
            self.by_name[normalise_name(info.name)].append(info)
        self.points = PointIndex((lat, lon, code) for lat, lon, code in labelled if code in self.gemeenten)

    def _closest(self, candidates: list[GemeenteInfo], lat: float | None, lon: float | None) -> GemeenteInfo:
        if lat is None or lon is None:
            return min(candidates, key=lambda g: g.code)
        far = float("inf")
        return min(candidates, key=lambda g: (
            distance_sq(lat, lon, g.lat, g.lon) if g.lat is not None and g.lon is not None else far, g.code,
        ))

    def current(self, code: str, lat: float | None = None, lon: float | None = None) -> str:
        """Follow a retired gemeente to its successor (the nearest, when it split), as far as known."""
        seen = {code}
        info = self.gemeenten.get(code)
        while info is not None and info.retired and info.successors:
            nxt = [self.gemeenten[c] for c in info.successors if c in self.gemeenten and c not in seen]
            if not nxt:
                break
            info = self._closest(nxt, lat, lon)
            seen.add(info.code)
        return info.code if info is not None else code

    def by_name_in(self, name: str, province: str | None, lat: float | None, lon: float | None) -> str | None:
        candidates = self.by_name.get(normalise_name(name), []) if name else []
        if province and len(candidates) > 1:
            in_province = [g for g in candidates if self.provinces.get(g.code) == province]
            candidates = in_province or candidates
        if not candidates:
            return None
        current = [g for g in candidates if not g.retired]
        return self._closest(current or candidates, lat, lon).code

    def find(self, name: str, province: str | None, lat: float | None, lon: float | None) -> tuple[str | None, str | None]:
        """(gemeente code, None) or (code or None, why it is not a current gemeente)."""
        code = self.by_name_in(name, province, lat, lon)
        if code is None and lat is not None and lon is not None:
            code = self.points.nearest(lat, lon)
        if code is None:
            return None, NO_GEMEENTE
        code = self.current(code, lat, lon)
        return code, RETIRED_WITHOUT_SUCCESSOR if self.gemeenten[code].retired else None
