"""Sync at national scale: the full NDJSON export of 200,000 services, then an incremental
sync of 10,000 changes, each in a fresh process that prints its seconds and peak RSS.

    .venv/bin/python -m bench.sync_export [--backends sqlite,postgresql] [--services 200000]
        [--changes 10000] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The data comes from bench/national_data.py (the search benchmark's cache); the changes are
made on a copy, so the cache stays as generated. Export and sync run through the HTTP
endpoints of the app in-process (a streamed GET, read line by line, as a HIS would), each
in its own process so that its peak RSS is its own. Figures are printed, never asserted.
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.clients.scope import Actor
from app.contacts.models import Contact
from app.db import make_engine
from app.main import create_app
from app.maintenance import service as maintenance
from app.maintenance.kinds import CONTACT
from bench.national_data import DEFAULT_POSTGRES
from bench.search_scale import CACHE_DIR, database

ACTOR = Actor("bench:sync")


def copy_of(backend: str, url: str, admin_url: str) -> str:
    """A scratch copy of the generated database, for the changes."""
    if backend == "sqlite":
        target = CACHE_DIR / "sync_scratch.db"
        for stale in CACHE_DIR.glob("sync_scratch.db*"):
            stale.unlink()
        shutil.copy(make_url(url).database, target)  # type: ignore[arg-type]
        return f"sqlite:///{target}"
    name = "wijkkaart_bench_sync_scratch"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {make_url(url).database}"))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def make_changes(url: str, count: int) -> None:
    """`count` contact updates through the maintenance write path, 500 a transaction."""
    engine = make_engine(url)
    with Session(engine) as session:
        ids = session.scalars(select(Contact.id).where(Contact.deleted_at.is_(None)).limit(count)).all()  # type: ignore[union-attr]
    for start in range(0, len(ids), 500):
        with Session(engine) as session, session.begin():
            for contact_id in ids[start:start + 500]:
                maintenance.update(session, CONTACT, contact_id, {"role": f"rol {uuid.uuid4().hex[:6]}"}, None, ACTOR)
    engine.dispose()


def peak_rss_mb() -> float:
    """This process's own peak resident memory. Not getrusage's ru_maxrss: Linux carries
    that over from the parent through fork and exec, and the parent may have built 200k."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def child(task: str, url: str, cursor: str | None) -> None:
    """Runs in its own process: one export or one sync, then a JSON line with the figures."""
    started = time.perf_counter()
    lines = applied = 0
    first: dict | None = None
    with TestClient(create_app(make_engine(url))) as client:
        if task == "export":
            with client.stream("GET", "/api/v1/export.ndjson") as response:
                for line in response.iter_lines():
                    first = first or json.loads(line)
                    lines += 1
        else:
            while True:
                page = client.get("/api/v1/changes", params={"since": cursor, "limit": 1000}).json()
                applied += len(page["items"])
                cursor = page["next_cursor"]
                if not page["has_more"]:
                    break
    peak_mb = peak_rss_mb()
    print(json.dumps({
        "seconds": round(time.perf_counter() - started, 2), "peak_rss_mb": round(peak_mb),
        "lines": lines, "changes": applied, "cursor": (first or {}).get("next_cursor") or cursor,
    }))


def run_child(task: str, url: str, cursor: str | None = None) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.sync_export", "--child", task, "--url", url, "--cursor", cursor or ""],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--services", type=int, default=200_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--child", choices=["export", "sync"])
    parser.add_argument("--url")
    parser.add_argument("--cursor")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.cursor or None)
        return
    for backend in args.backends.split(","):
        url = copy_of(backend, database(backend, args.services, args.postgres, False), args.postgres)
        export = run_child("export", url)
        print(f"{backend}: export of {args.services} services: {export['lines']} lines in "
              f"{export['seconds']} s, peak RSS {export['peak_rss_mb']} MB", flush=True)
        started = time.perf_counter()
        make_changes(url, args.changes)
        print(f"{backend}: {args.changes} contact updates written in {time.perf_counter() - started:.1f} s", flush=True)
        sync = run_child("sync", url, export["cursor"])
        print(f"{backend}: incremental sync: {sync['changes']} changes in {sync['seconds']} s, "
              f"peak RSS {sync['peak_rss_mb']} MB", flush=True)


if __name__ == "__main__":
    main()
