"""Writers during a bulk import of N services (default 50,000): a dry run, then the real one.

    .venv/bin/python bench/dry_run_writers.py [--rows N] [--backend sqlite|postgresql|both]

Per backend, in a process of its own: a fresh database with the demo region and the CSV of
bench/import_services.py. The import runs in a thread as POST /api/v1/import runs it (a dry
run in a request that starts no write transaction, the real one in a write transaction);
meanwhile another connection writes as every API write does (a write transaction, the
change-log lock, an UPDATE of one demo service) twice a second. Prints the import's seconds
and, of the writes made while it ran, how many succeeded and how long the slowest waited.
"""

import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from alembic import command
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from import_services import demo_references, fresh_database, per_backend, write_csv

from app import dialect
from app.clients.models import Role
from app.clients.scope import Actor, Principal
from app.db import alembic_config, make_engine
from app.demo import load_demo
from app.imports.reading import Source
from app.imports.service import read_sources, run_import
from app.services.models import Service

SERVICE = uuid.UUID("f28ce5b6-67bd-4f6c-a764-9dcd3b3add45")  # Wmo-loket Middelburg, outside the CSV
WRITE_EVERY = 0.5


def one_write(engine, days: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with Session(engine) as session:
        dialect.begin_write(session)
        dialect.lock_change_log(session)
        session.execute(update(Service).where(Service.id == SERVICE).values(waiting_days=days))
        session.commit()
    return time.perf_counter() - started


def measure(engine, path: Path, actor: Actor, dry_run: bool) -> None:  # type: ignore[no-untyped-def]
    done = threading.Event()
    took: list[float] = []

    def importing() -> None:
        started = time.perf_counter()
        with path.open("rb") as handle, Session(engine) as session:
            if not dry_run:
                dialect.begin_write(session)
            parts, errors = read_sources([Source("services.csv", handle)])
            run_import(session, parts, actor, dry_run=dry_run, errors=errors)
            session.commit()
        took.append(time.perf_counter() - started)
        done.set()

    thread = threading.Thread(target=importing)
    thread.start()
    waits, failures = [], 0
    while not done.wait(WRITE_EVERY):
        try:
            waits.append(one_write(engine, len(waits) % 60))
        except DBAPIError as exc:
            failures += 1
            print(f"  a write failed: {exc.orig.__class__.__name__}", flush=True)
    thread.join()
    slowest = max(waits, default=0.0)
    print(f"  {'dry run' if dry_run else 'import '}  {took[0]:6.1f} s   writes meanwhile: {len(waits)} succeeded, "
          f"{failures} failed; slowest {slowest:5.2f} s", flush=True)


def run(backend: str, rows: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = fresh_database(backend, Path(directory))
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            load_demo(session)
        path = Path(directory) / "services.csv"
        write_csv(path, rows, *demo_references())
        editor = Principal(uuid.uuid4(), "bench", Role.editor, frozenset({"GM0687", "GM0717", "GM0718"}))
        print(f"{backend}: {rows:,} rows", flush=True)
        for dry_run in (True, False):
            measure(engine, path, Actor.client(editor), dry_run)
        engine.dispose()


if __name__ == "__main__":
    per_backend(__file__, __doc__, run, 50_000)
