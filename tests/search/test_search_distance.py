"""A result's distance is geopy's geodesic to its nearest location, rounded to 10 m, whether
the bounds of app/search/distance.py decide it or geopy does."""

import random

from geographiclib.geodesic import Geodesic
from geopy.distance import geodesic

from app.search.distance import PageDistances, cartesian, geodesic_bounds

# Seeded points over the Netherlands (and its neighbours' border towns).
RNG = random.Random(20261205)


def _point() -> tuple[float, float]:
    return RNG.uniform(50.7, 53.6), RNG.uniform(3.3, 7.3)


def _location(key: int, lat: float, lon: float) -> dict:
    return {"id": str(key), "lat": lat, "lon": lon}


def test_the_geodesic_lies_between_the_bounds_near_and_far() -> None:
    pairs = [(_point(), _point()) for _ in range(2_000)]
    pairs += [((52.37, 4.89), (52.37, 4.89)), ((0.0, 0.0), (0.0, 90.0)), ((0.0, 0.0), (60.0, 179.0)),
              ((-33.9, 18.4), (64.1, -21.9)), ((53.4, 6.2), (50.8, 5.7))]
    for (lat1, lon1), (lat2, lon2) in pairs:
        low, high = geodesic_bounds(cartesian(lat1, lon1), cartesian(lat2, lon2))
        exact = geodesic((lat1, lon1), (lat2, lon2)).km
        assert low <= exact <= high, ((lat1, lon1), (lat2, lon2), low, exact, high)


def _brute_force(lat: float, lon: float, locations: list[dict]) -> tuple[float, dict]:
    km, location = min(((geodesic((lat, lon), (loc["lat"], loc["lon"])).km, loc) for loc in locations),
                       key=lambda pair: pair[0])
    return round(km, 2), location


def test_the_nearest_location_and_its_distance_are_geopys_to_the_10_m_shown() -> None:
    decided_by_bounds = 0
    for trial in range(1_500):
        lat, lon = _point()
        locations = []
        for key in range(RNG.randint(1, 4)):
            # Near rounding edges (x.xx5 km) and near each other as often as far apart.
            kind = RNG.random()
            if kind < 0.3:
                km = RNG.randint(1, 5_000) / 100 + 0.005 + RNG.uniform(-2e-6, 2e-6)
                spot = Geodesic.WGS84.Direct(lat, lon, RNG.uniform(0, 360), km * 1000)
                locations.append(_location(key, spot["lat2"], spot["lon2"]))
            elif kind < 0.45 and locations:
                twin = locations[0]
                locations.append(_location(key, twin["lat"] + RNG.uniform(-1e-7, 1e-7), twin["lon"]))
            else:
                locations.append(_location(key, *_point()))
        distances = PageDistances(lat, lon)
        answer = distances.nearest(locations)
        assert answer == _brute_force(lat, lon, locations), (trial, lat, lon, locations)
        decided_by_bounds += not distances._exact
    # Most are decided without geopy; those near a rounding edge or a rival are not.
    assert 0.3 < decided_by_bounds / 1_500 < 1


def test_a_page_measures_a_shared_location_once_and_an_empty_one_not_at_all() -> None:
    distances = PageDistances(52.37, 4.89)
    assert distances.nearest([]) is None and not distances._bounds
    shared = _location(1, 52.30, 4.95)
    first, second = distances.nearest([shared]), distances.nearest([shared, _location(2, 53.0, 6.0)])
    assert first == second == _brute_force(52.37, 4.89, [shared])
    assert list(distances._bounds) == ["1", "2"]
