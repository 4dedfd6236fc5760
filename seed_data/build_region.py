"""Build the demo-region CSVs (areas.csv, postcodes.csv) for Wijkkaart.

Demo region: Middelburg (GM0687), Veere (GM0717) and Vlissingen (GM0718).
Reads the real CBS / 4pp files from a data directory and writes only the demo
region's rows next to this script. Standard library only.

Usage: python seed_data/build_region.py ../shared/data
Source data: CBS / Kadaster (CC BY 4.0); 4pp postcode list (bobdenotter/4pp, MIT).
"""
import csv
import sys
from pathlib import Path

GEMEENTEN = {"GM0687": "Middelburg", "GM0717": "Veere", "GM0718": "Vlissingen"}
PROVINCIE = "Zeeland"
FIRST_YEAR = 2014  # vintage of the wijk/buurt source: the earliest year we have evidence for
SOORT_TO_KIND = {
    "Adres": "address",
    "Postbus": "po_box",
    "Adres + Postbus": "address_and_po_box",
    "Onbekend": "unknown",
}
OUT_DIR = Path(__file__).resolve().parent
# The 4pp file files 4353 Serooskerke under Schouwen-Duiveland, which has a Serooskerke
# of its own; 4353 is Serooskerke on Walcheren ("SEROOSKERKE WALCH"), whose point lies
# in wijk WK071703 Serooskerke of Veere.
GEMEENTE_CORRECTIONS = {"4353": "GM0717"}


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def build_areas(data_dir):
    rows = []
    gm4 = {code[2:6] for code in GEMEENTEN}
    for r in read_rows(data_dir / "cbs_gemeente_2015_labelpoints.csv"):
        if r["statcode"] in GEMEENTEN:
            rows.append(("gemeente", r["statcode"], r["statnaam"], "", r["lat"], r["lon"]))
    for r in read_rows(data_dir / "cbs_wijk_2014_labelpoints.csv"):
        code = r["statcode"]
        if code[2:6] in gm4:
            rows.append(("wijk", code, r["statnaam"], "GM" + code[2:6], r["lat"], r["lon"]))
    for r in read_rows(data_dir / "cbs_buurt_2014_labelpoints.csv"):
        code = r["statcode"]
        if code[2:6] in gm4:
            rows.append(("buurt", code, r["statnaam"], "WK" + code[2:8], r["lat"], r["lon"]))
    order = {"gemeente": 0, "wijk": 1, "buurt": 2}
    rows.sort(key=lambda t: (order[t[0]], t[1]))
    return [
        {"code": code, "kind": kind, "name": name, "parent_code": parent,
         "lat": lat, "lon": lon, "first_year": FIRST_YEAR}
        for kind, code, name, parent, lat, lon in rows
    ]


def build_postcodes(data_dir):
    code_by_name = {name: code for code, name in GEMEENTEN.items()}
    out = []
    for r in read_rows(data_dir / "pc4_4pp_bobdenotter.csv"):
        gemeente = GEMEENTE_CORRECTIONS.get(r["postcode"]) or code_by_name.get(r["gemeente"])
        if r["provincie"] == PROVINCIE and gemeente:
            out.append({
                "pc4": r["postcode"],
                "place": r["woonplaats"],
                "gemeente_code": gemeente,
                "lat": r["latitude"],
                "lon": r["longitude"],
                "kind": SOORT_TO_KIND[r["soort"]],
            })
    out.sort(key=lambda d: d["pc4"])
    return out


def write_csv(path, fieldnames, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fieldnames, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: python seed_data/build_region.py DATA_DIR")
    data_dir = Path(argv[1])
    areas = build_areas(data_dir)
    postcodes = build_postcodes(data_dir)
    write_csv(OUT_DIR / "areas.csv",
              ["code", "kind", "name", "parent_code", "lat", "lon", "first_year"], areas)
    write_csv(OUT_DIR / "postcodes.csv",
              ["pc4", "place", "gemeente_code", "lat", "lon", "kind"], postcodes)
    kinds = {k: sum(a["kind"] == k for a in areas) for k in ("gemeente", "wijk", "buurt")}
    print(f"areas.csv: {len(areas)} rows {kinds}; postcodes.csv: {len(postcodes)} rows")


if __name__ == "__main__":
    main(sys.argv)
