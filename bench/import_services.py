"""Bulk import of N services (default 100,000) from one CSV, on SQLite and PostgreSQL.

    .venv/bin/python bench/import_services.py [--rows N] [--backend sqlite|postgresql|both]

Per backend, in a process of its own (so its peak RSS is its own): a fresh migrated
database with the demo region (its organisations and CBS area codes), a CSV written as
Dutch Excel writes it (BOM, `;`, dates as 1-9-2026), and then the import through the
function the API and the command line use (read_sources + run_import), as an editor
key of the three demo gemeenten so the scope check runs in full, committed in one
transaction. Prints rows/s, wall seconds and the peak RSS of the process.

PostgreSQL: WIJKKAART_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/
wijkkaart_import_bench); the database is dropped and made anew.
"""

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.clients.models import Role
from app.clients.scope import Actor, Principal
from app.db import alembic_config, make_engine
from app.demo import SEED_DIR, load_demo
from app.imports.csv_layout import LAYOUTS
from app.imports.reading import Source
from app.imports.service import read_sources, run_import
from app.services.models import Service

POSTGRES_URL = os.environ.get(
    "WIJKKAART_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/wijkkaart_import_bench"
)
DOMAINS = ["financien", "werk_opleiding", "tijdsbesteding", "huisvesting", "huiselijke_relaties",
           "geestelijke_gezondheid", "sociaal_netwerk", "maatschappelijke_participatie", "instrumentele_adl"]
GROUPS = ["jeugd", "ouderen", "mantelzorgers", "statushouders", "laaggeletterden", "mensen_met_beperking"]
WORDS = (
    "hulp bij schulden geldzaken budget administratie brieven formulieren toeslagen inkomen werk opleiding "
    "vrijwilligers buurthuis wijkteam ouderen eenzaamheid ontmoeting koffie inloop spreekuur gratis aanmelden "
    "huisarts poh verwijzing gesprek coach maatje taal lezen schrijven digitaal computer telefoon mantelzorg "
    "ondersteuning respijt opvoeding kinderen jongeren gezin woning huur energie armoede voedselbank kleding "
    "sport bewegen gezondheid zorg wmo beschikking consulent thuis bezoek afspraak wachttijd week maand"
).split()


def demo_references() -> tuple[list[tuple[str, list[str]]], dict[str, list[str]]]:
    """(organisation id, its gemeenten) of every demo organisation, and area codes per gemeente."""
    catalogue = json.loads((SEED_DIR / "catalogue.json").read_text(encoding="utf-8"))
    organisations = [(o["id"], o["owners"]) for o in catalogue["organisations"]]
    areas: dict[str, list[str]] = {}
    with (SEED_DIR / "areas.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            areas.setdefault(f"GM{row['code'][2:6]}", []).append(row["code"])
    return organisations, areas


def write_csv(path: Path, rows: int, organisations, areas) -> None:  # type: ignore[no-untyped-def]
    """Services as a steward's spreadsheet would hold them, saved by Dutch Excel."""
    rng = random.Random(20261124)
    places = [row["name"] for row in csv.DictReader((SEED_DIR / "areas.csv").open(encoding="utf-8"))]
    columns = [c.name for c in LAYOUTS["services"] if c.name not in ("id", "location_ids")]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(columns)
        for n in range(rows):
            organisation, owners = organisations[n % len(organisations)]
            gemeente = rng.choice(owners)
            rules = n % 3 == 0
            values = {
                "external_id": f"BENCH-{n:06d}",
                "organisation_id": organisation,
                "name": f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {rng.choice(places)}",
                "description": " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 40))).capitalize() + ".",
                "need_domains": "|".join(rng.sample(DOMAINS, rng.randint(1, 3))),
                "target_groups": "|".join(rng.sample(GROUPS, rng.randint(0, 2))),
                "access_route": rng.choice(["vrij_toegankelijk", "via_huisarts", "via_wijkteam"]),
                "cost": "free", "languages": rng.choice(["nl", "nl|en", "nl|ar|tr"]),
                "waiting_days": rng.randint(0, 60), "waiting_reported_on": f"{rng.randint(1, 28)}-{rng.randint(1, 9)}-2026",
                "status": "active", "areas": "|".join(rng.sample(areas[gemeente], rng.randint(1, 2))),
                "min_age": 18 if rules else "", "max_age": rng.choice([67, ""]) if rules else "",
                "must_live_in_area": "ja" if rules else "", "needs_beschikking": "nee" if rules else "",
                "needs_gp_referral": rng.choice(["ja", "nee"]) if rules else "",
            }
            writer.writerow([values.get(column, "") for column in columns])


def fresh_database(backend: str, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / 'bench.db'}"
    admin = create_engine(make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = make_url(POSTGRES_URL).database
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return POSTGRES_URL


def run(backend: str, rows: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = fresh_database(backend, Path(directory))
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            load_demo(session)
        organisations, areas = demo_references()
        path = Path(directory) / "services.csv"
        write_csv(path, rows, organisations, areas)
        editor = Principal(uuid.uuid4(), "bench", Role.editor, frozenset({"GM0687", "GM0717", "GM0718"}))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{backend}: {rows:,} rows written to the CSV; importing …", flush=True)
        started = time.perf_counter()
        with path.open("rb") as handle, Session(engine) as session, session.begin():
            parts, errors = read_sources([Source("services.csv", handle)])
            report = run_import(session, parts, Actor.client(editor), errors=errors)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with Session(engine) as session:
            stored = session.exec(select(func.count()).select_from(Service)).one()[0]
        engine.dispose()
        assert report.counts["services"].created == rows, report.counts
        print(
            f"{backend:10s} {rows:,} rows  {seconds:6.1f} s  {rows / seconds:8,.0f} rows/s  "
            f"peak RSS {peak:5.0f} MB (before the import {rss_before:.0f} MB)  "
            f"csv {path.stat().st_size / 2**20:.1f} MB  services stored {stored:,}",
            flush=True,
        )


def per_backend(script: str, doc: str, run: Callable[[str, int], None], rows: int) -> None:
    """The command line of a bench that runs `run(backend, rows)` once per database, each in
    a process of its own (so that one's memory and caches do not colour the other's figures)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, default=rows)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(args.backend, args.rows)
        return
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        subprocess.run([sys.executable, script, "--rows", str(args.rows), "--backend", backend, "--child"], check=True)


if __name__ == "__main__":
    per_backend(__file__, __doc__, run, 100_000)
