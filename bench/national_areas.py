"""National reference data for the benchmark: CBS 2014 areas and every PC4, from ../shared/data.

Areas and PC4s are bulk-inserted (no change log: the benchmark never reads it). Each PC4
gets the gemeente of the buurt label point nearest to it; then the app's own
derive_pc4_buurten links PC4s to buurten, exactly as the demo loader does. Without the
data directory, a grid of made-up gemeenten, wijken, buurten and PC4s stands in.
"""

import csv
import math
import random
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Connection, insert
from sqlmodel import Session

from app.areas.models import Area, Postcode4, Postcode6, PostcodeKind
from app.areas.service import derive_pc4_buurten

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
FIRST_YEAR = 2014
SOORT_TO_KIND = {
    "Adres": PostcodeKind.address, "Postbus": PostcodeKind.po_box,
    "Adres + Postbus": PostcodeKind.address_and_po_box, "Onbekend": PostcodeKind.unknown,
}
_CELL = 0.05  # degrees; the grid that finds the nearest buurt without comparing all 12,000


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _real_areas(data_dir: Path) -> list[dict[str, object]]:
    """Gemeenten of 2015, and the 2014 wijken and buurten whose parent is among them."""
    def area(kind: str, row: dict[str, str], parent: str | None) -> dict[str, object]:
        return {"code": row["statcode"], "kind": kind, "name": row["statnaam"], "parent_code": parent,
                "lat": float(row["lat"]), "lon": float(row["lon"]), "first_year": FIRST_YEAR}

    areas = [area("gemeente", r, None) for r in _rows(data_dir / "cbs_gemeente_2015_labelpoints.csv")]
    known = {a["code"] for a in areas}
    for kind, file, parent_of in (
        ("wijk", "cbs_wijk_2014_labelpoints.csv", lambda code: "GM" + code[2:6]),
        ("buurt", "cbs_buurt_2014_labelpoints.csv", lambda code: "WK" + code[2:8]),
    ):
        rows = [area(kind, r, parent_of(r["statcode"])) for r in _rows(data_dir / file)]
        # A few 2014 codes belong to gemeenten missing from the 2015 list (see the data README).
        rows = [r for r in rows if r["parent_code"] in known]
        areas += rows
        known |= {r["code"] for r in rows}
    return areas


def _real_pc4s(data_dir: Path) -> list[dict[str, object]]:
    return [
        {"pc4": r["postcode"], "place": r["woonplaats"] or None, "lat": float(r["latitude"]),
         "lon": float(r["longitude"]), "kind": SOORT_TO_KIND[r["soort"]]}
        for r in _rows(data_dir / "pc4_4pp_bobdenotter.csv")
    ]


def _made_up(rng: random.Random) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """About the real counts: 390 gemeenten x 7 wijken x 4-5 buurten, 12 PC4s per gemeente."""
    areas: list[dict[str, object]] = []
    pc4s: list[dict[str, object]] = []
    for g in range(390):
        lat, lon = 50.8 + 2.6 * rng.random(), 3.5 + 3.5 * rng.random()
        gemeente = f"GM{g + 1:04d}"
        areas.append({"code": gemeente, "kind": "gemeente", "name": f"Gemeente {g + 1}", "parent_code": None,
                      "lat": lat, "lon": lon, "first_year": FIRST_YEAR})
        for w in range(7):
            wijk = f"WK{g + 1:04d}{w:02d}"
            areas.append({"code": wijk, "kind": "wijk", "name": f"Wijk {w:02d}", "parent_code": gemeente,
                          "lat": lat + 0.01 * w, "lon": lon, "first_year": FIRST_YEAR})
            for b in range(4 + (w + g) % 2):
                areas.append({"code": f"BU{g + 1:04d}{w:02d}{b:02d}", "kind": "buurt", "name": f"Buurt {b:02d}",
                              "parent_code": wijk, "lat": lat + 0.01 * w, "lon": lon + 0.01 * b,
                              "first_year": FIRST_YEAR})
        for p in range(12):
            pc4s.append({"pc4": str(1000 + 12 * g + p), "place": f"Plaats {g + 1}", "lat": lat + 0.006 * p,
                         "lon": lon + 0.004 * p, "kind": PostcodeKind.address})
    return areas, pc4s


def _distance_sq(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = (lon2 - lon1) * math.cos(math.radians(lat1))
    return x * x + (lat2 - lat1) ** 2


def _nearest_buurt_gemeente(pc4s: list[dict[str, object]], buurten: list[dict[str, object]]) -> None:
    grid: defaultdict[tuple[int, int], list[dict[str, object]]] = defaultdict(list)
    for b in buurten:
        grid[(int(b["lat"] / _CELL), int(b["lon"] / _CELL))].append(b)  # type: ignore[operator]
    for p in pc4s:
        cell = (int(p["lat"] / _CELL), int(p["lon"] / _CELL))  # type: ignore[operator]
        for reach in range(1, 40):
            near = [b for dy in range(-reach, reach + 1) for dx in range(-reach, reach + 1)
                    for b in grid.get((cell[0] + dy, cell[1] + dx), ())]
            if near:
                break
        best = min(near, key=lambda b: _distance_sq(p["lat"], p["lon"], b["lat"], b["lon"]))  # type: ignore[arg-type]
        p["gemeente_code"] = "GM" + str(best["code"])[2:6]


def load_areas(session: Session, rng: random.Random, data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Insert areas, PC4s (with one PC6 each, "<pc4>AB") and the PC4 -> buurt links."""
    if (data_dir / "pc4_4pp_bobdenotter.csv").exists():
        areas, pc4s = _real_areas(data_dir), _real_pc4s(data_dir)
    else:
        areas, pc4s = _made_up(rng)
    buurten = [a for a in areas if a["kind"] == "buurt"]
    _nearest_buurt_gemeente(pc4s, buurten)
    connection: Connection = session.connection()
    for kind in ("gemeente", "wijk", "buurt"):  # parents first: parent_code is a foreign key
        connection.execute(insert(Area), [a for a in areas if a["kind"] == kind])
    connection.execute(insert(Postcode4), pc4s)
    gemeenten = sorted({str(a["code"]) for a in areas if a["kind"] == "gemeente"})
    links = derive_pc4_buurten(session, gemeenten)
    by_gemeente: defaultdict[str, list[dict[str, object]]] = defaultdict(list)
    for b in buurten:
        by_gemeente["GM" + str(b["code"])[2:6]].append(b)
    pc6s = []
    for p in pc4s:
        candidates = by_gemeente.get(str(p["gemeente_code"]))
        if p["kind"] == PostcodeKind.po_box or not candidates:
            continue
        lat, lon = float(p["lat"]) + 0.002, float(p["lon"]) + 0.002  # type: ignore[arg-type]
        near = min(candidates, key=lambda b: _distance_sq(lat, lon, b["lat"], b["lon"]))  # type: ignore[arg-type]
        pc6s.append({"pc6": f"{p['pc4']}AB", "pc4": p["pc4"], "buurt_code": near["code"], "lat": lat, "lon": lon})
    connection.execute(insert(Postcode6), pc6s)
    return {"areas": len(areas), "buurten": len(buurten), "pc4s": len(pc4s), "pc4_buurt_links": links,
            "pc6s": len(pc6s)}
