"""GeoJSON (RFC 7946) for map layers: a list answer as a FeatureCollection of points."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

GEOJSON = "application/geo+json"
# Documents the second media type of a list operation.
_GEOJSON_EXAMPLE = {
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [3.611082, 51.497557]},
        "properties": {"id": "7dda06e9-ebd7-4a6a-b70b-c55f8197b4f8", "name": "Buurthuis De Voorbeeldhoek",
                       "address": {"street": "Schetsboekstraat", "house_number": "18", "postcode": "4331FK",
                                   "city": "Middelburg"}},
    }],
}
GEOJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {"example": _GEOJSON_EXAMPLE}},
          "description": "With `Accept: application/geo+json`: a FeatureCollection (properties: the list item)."}
}


def wants_geojson(request: Request) -> bool:
    return GEOJSON in request.headers.get("accept", "")


def feature_collection(
    items: Sequence[BaseModel] | Sequence[Mapping[str, Any]],
    point: Callable[[Any], tuple[float, float] | None],
    next_cursor: str | None,
    headers: Mapping[str, str],
) -> JSONResponse:
    """One Point feature per item (a model, or its JSON data) that has a place (`point`
    gives lat, lon); the item is its properties. The next page's cursor travels as a foreign member."""
    features = []
    for item in items:
        if (place := point(item)) is None:
            continue
        lat, lon = place
        feature: dict[str, Any] = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},  # GeoJSON is longitude first
            "properties": item if isinstance(item, Mapping) else item.model_dump(mode="json"),
        }
        if (item_id := item.get("id") if isinstance(item, Mapping) else getattr(item, "id", None)) is not None:
            feature["id"] = str(item_id)
        features.append(feature)
    body = {"type": "FeatureCollection", "features": features, "next_cursor": next_cursor}
    # Returned as is, so the caching headers the route's dependencies set are carried over here.
    return JSONResponse(body, media_type=GEOJSON, headers={k: v for k, v in headers.items() if k != "content-length"})
