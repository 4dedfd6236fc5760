"""National reference data for the benchmark: CBS 2014 areas and every PC4, from ../shared/data.

With the data directory, the app's own importer (`wijkkaart areas import`) loads the 2015
gemeenten, the 2014 wijken and buurten and the PC4 list, links PC4s to buurten and finds
each PC4's gemeente. Without it, a grid of made-up gemeenten, wijken, buurten and PC4s is
bulk-inserted (each PC4 in the gemeente of the nearest buurt) and linked by the same
derive_pc4_buurten. Either way every residential PC4 then gets one made-up PC6, "<pc4>AB".
"""

import random
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Connection, func, insert, select
from sqlmodel import Session

from app.areas.models import Area, Postcode4, Postcode4Buurt, Postcode6, PostcodeKind
from app.areas.service import derive_pc4_buurten
from app.national.importer import import_areas
from app.national.locate import PointIndex, distance_sq

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
FIRST_YEAR = 2014
REAL_FILES = ("cbs_gemeente_2015_labelpoints.csv", "cbs_wijk_2014_labelpoints.csv",
              "cbs_buurt_2014_labelpoints.csv", "pc4_4pp_bobdenotter.csv")


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


def _insert_made_up(session: Session, rng: random.Random) -> None:
    areas, pc4s = _made_up(rng)
    nearest = PointIndex((float(a["lat"]), float(a["lon"]), str(a["code"])) for a in areas if a["kind"] == "buurt")  # type: ignore[arg-type]
    for p in pc4s:
        p["gemeente_code"] = "GM" + str(nearest.nearest(p["lat"], p["lon"]))[2:6]  # type: ignore[arg-type]
    connection: Connection = session.connection()
    for kind in ("gemeente", "wijk", "buurt"):  # parents first: parent_code is a foreign key
        connection.execute(insert(Area), [a for a in areas if a["kind"] == kind])
    connection.execute(insert(Postcode4), pc4s)
    derive_pc4_buurten(session, sorted({str(a["code"]) for a in areas if a["kind"] == "gemeente"}))


def load_areas(session: Session, rng: random.Random, data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Load areas, PC4s (with one PC6 each, "<pc4>AB") and the PC4 -> buurt links."""
    if all((data_dir / name).exists() for name in REAL_FILES):
        import_areas(session, [data_dir / name for name in REAL_FILES])
    else:
        _insert_made_up(session, rng)
    area, pc4_table = Area.__table__, Postcode4.__table__  # type: ignore[attr-defined]
    buurten = session.execute(select(area.c.code, area.c.lat, area.c.lon).where(
        area.c.kind == "buurt", area.c.lat.is_not(None))).all()
    by_gemeente: defaultdict[str, list] = defaultdict(list)
    for b in buurten:
        by_gemeente["GM" + b.code[2:6]].append(b)
    pc4s = session.execute(select(pc4_table)).all()
    pc6s = []
    for p in pc4s:
        candidates = by_gemeente.get(str(p.gemeente_code))
        if p.kind == PostcodeKind.po_box or not candidates:
            continue
        lat, lon = p.lat + 0.002, p.lon + 0.002
        near = min(candidates, key=lambda b: distance_sq(lat, lon, b.lat, b.lon))
        pc6s.append({"pc6": f"{p.pc4}AB", "pc4": p.pc4, "buurt_code": near.code, "lat": lat, "lon": lon})
    session.connection().execute(insert(Postcode6), pc6s)
    links = session.execute(select(func.count()).select_from(Postcode4Buurt)).scalar_one()
    return {"areas": session.execute(select(func.count()).select_from(Area)).scalar_one(), "buurten": len(buurten),
            "pc4s": len(pc4s), "pc4_buurt_links": links, "pc6s": len(pc6s)}
