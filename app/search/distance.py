"""A result's distance: geopy's geodesic on WGS-84 to its nearest location, shown to 10 m.

geopy's geodesic costs some 50 µs a call, the largest part of building a result. Two
bounds that cost a few µs decide most of them exactly:
- a geodesic is at least as long as the chord between its ends (the straight line
  through the earth);
- it is at most as long as the arc of a circle of radius R over that chord, R being the
  smallest radius of curvature anywhere on the ellipsoid (the meridian's at the equator,
  a(1 − e²)): a curve that bends nowhere more sharply than that circle has at least its
  chord over the same length (Schur's comparison theorem).
The two differ by about c³/24R²: under a millimetre at 10 km, 13 cm at 50 km. When both
round to the same 10 m, so does the geodesic between them; otherwise geopy decides.
"""

import math
from typing import Any

from geographiclib.geodesic import Geodesic
from geopy.distance import ELLIPSOIDS

_A, _, _F = ELLIPSOIDS["WGS-84"]  # km
_E2 = _F * (2 - _F)
_R_MIN = _A * (1 - _E2)
_GEODESIC = Geodesic(_A, _F)  # in km, as geopy.distance.geodesic measures
_SLACK = 1e-9  # km, for the bounds' floating-point error (some 1e-12 km)
DECIMALS = 2  # distance_km is shown to 10 m

Point = tuple[float, float, float]


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """geopy's geodesic (geopy.distance.geodesic(...).km), without building a geopy object per call."""
    return float(_GEODESIC.Inverse(lat1, lon1, lat2, lon2, Geodesic.DISTANCE)["s12"])


def cartesian(lat: float, lon: float) -> Point:
    """The point on the ellipsoid's surface in earth-centred coordinates, in km."""
    phi, lam = math.radians(lat), math.radians(lon)
    sin_phi, cos_phi = math.sin(phi), math.cos(phi)
    n = _A / math.sqrt(1 - _E2 * sin_phi * sin_phi)
    return n * cos_phi * math.cos(lam), n * cos_phi * math.sin(lam), n * (1 - _E2) * sin_phi


def geodesic_bounds(a: Point, b: Point) -> tuple[float, float]:
    """(at least, at most) the geodesic between two surface points, in km."""
    chord = math.dist(a, b)
    half = min(chord / (2 * _R_MIN), 1.0)
    return chord - _SLACK, 2 * _R_MIN * math.asin(half) + _SLACK


class PageDistances:
    """Distances from one place to the locations of a page's results; a location shared by
    several results (services of one organisation) is measured once."""

    def __init__(self, lat: float, lon: float) -> None:
        self.lat, self.lon = lat, lon
        self._here = cartesian(lat, lon)
        self._bounds: dict[str, tuple[float, float]] = {}
        self._exact: dict[str, float] = {}

    def _bounds_of(self, location: dict[str, Any]) -> tuple[float, float]:
        key = location["id"]
        if key not in self._bounds:
            self._bounds[key] = geodesic_bounds(self._here, cartesian(location["lat"], location["lon"]))
        return self._bounds[key]

    def _exact_of(self, location: dict[str, Any]) -> float:
        key = location["id"]
        if key not in self._exact:
            self._exact[key] = geodesic_km(self.lat, self.lon, location["lat"], location["lon"])
        return self._exact[key]

    def nearest(self, locations: list[dict[str, Any]]) -> tuple[float, dict[str, Any]] | None:
        """(km rounded to 10 m, location card) of the location nearest by geodesic (the first
        in `locations` order on a tie), exactly as geopy would decide both."""
        if not locations:
            return None
        bounds = [self._bounds_of(location) for location in locations]
        closest = min(high for _, high in bounds)
        # Only a location that can be as near as the closest one's upper bound can be the nearest.
        contenders = [(location, low, high) for location, (low, high) in zip(locations, bounds, strict=True)
                      if low <= closest]
        if len(contenders) == 1:
            location, low, high = contenders[0]
            if round(low, DECIMALS) == round(high, DECIMALS):
                return round(high, DECIMALS), location
        km, location = min(((self._exact_of(location), location) for location, _, _ in contenders),
                           key=lambda pair: pair[0])
        return round(km, DECIMALS), location
