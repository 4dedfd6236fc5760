"""Loading the demo region (seed_data/): idempotent, through the same save paths as the API."""

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from app.areas.service import derive_pc4_buurten, save_area, save_postcode4
from app.clients.scope import Actor
from app.contacts.schemas import ContactWrite
from app.contacts.service import save_contact
from app.front_doors.schemas import FrontDoorWrite
from app.front_doors.service import save_front_door
from app.locations.schemas import LocationWrite
from app.locations.service import save_location
from app.organisations.schemas import OrganisationWrite
from app.organisations.service import save_organisation
from app.search.index.writer import follow_changes
from app.services.schemas import ServiceWrite
from app.services.service import save_service

SEED_DIR = Path(__file__).resolve().parent.parent / "seed_data"
ACTOR = Actor("seed:demo")

# In dependency order: each entry's references are saved before it.
_CATALOGUE: list[tuple[str, type[BaseModel], Any]] = [
    ("organisations", OrganisationWrite, save_organisation),
    ("locations", LocationWrite, save_location),
    ("services", ServiceWrite, save_service),
    ("contacts", ContactWrite, save_contact),
    ("front_doors", FrontDoorWrite, save_front_door),
]


def _number(value: str) -> float | None:
    return float(value) if value else None


def load_demo(session: Session, seed_dir: Path = SEED_DIR) -> Counter[str]:
    """Load areas, postcodes and the catalogue; returns how many entries changed, per kind."""
    follow_changes()
    changed: Counter[str] = Counter()
    with (seed_dir / "areas.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            changed["areas"] += save_area(session, {
                "code": row["code"], "kind": row["kind"], "name": row["name"],
                "parent_code": row["parent_code"] or None, "lat": _number(row["lat"]),
                "lon": _number(row["lon"]), "first_year": int(row["first_year"]) if row["first_year"] else None,
            }, ACTOR)
    gemeenten = set()
    with (seed_dir / "postcodes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            gemeenten.add(row["gemeente_code"])
            changed["postcodes"] += save_postcode4(session, {
                "pc4": row["pc4"], "place": row["place"] or None, "gemeente_code": row["gemeente_code"],
                "lat": float(row["lat"]), "lon": float(row["lon"]), "kind": row["kind"],
            }, ACTOR)
    changed["postcode_buurt_links"] += derive_pc4_buurten(session, sorted(gemeenten))
    catalogue = json.loads((seed_dir / "catalogue.json").read_text(encoding="utf-8"))
    for kind, schema, save in _CATALOGUE:
        for item in catalogue[kind]:
            _, was_changed = save(session, schema.model_validate(item), ACTOR)
            changed[kind] += was_changed
    return changed
