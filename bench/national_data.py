"""National-scale benchmark data: every PC4, ~12,000 real buurten, N services, 1.5 N contacts.

    .venv/bin/python -m bench.national_data --services 200000 [--postgres | --sqlite PATH]

build() makes a fresh database at the migration head (Alembic, as `wijkkaart db upgrade`
does), loads the areas (national_areas) and the catalogue (national_catalogue), and
checks a sample of search documents against what the app itself writes. Seeded:
the same N gives the same data.
"""

import argparse
import random
import time
from pathlib import Path

from alembic import command
from sqlalchemy import Engine, Uuid, bindparam, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.areas.models import Postcode4, PostcodeKind
from app.db import alembic_config, make_engine
from app.dialect.fulltext import SEARCH_TABLE
from app.search.index import documents
from app.search.index.writer import bring_up_to_date
from app.services.models import Service
from bench.national_areas import DATA_DIR, load_areas
from bench.national_catalogue import generate

SEED = 20261124
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def recreate_postgres(admin_url: str, database: str) -> str:
    """DROP and CREATE `database` on the server of admin_url; returns its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {database}"))
    finally:
        admin.dispose()
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


def _check_documents(engine: Engine, rng: random.Random) -> None:
    """Rewrite a sample of documents through the app's refresh path: nothing may change."""
    with Session(engine) as session:
        ids = session.scalars(select(Service.id).where(Service.deleted_at.is_(None)).limit(5000)).all()  # type: ignore[union-attr]
    sample = rng.sample(list(ids), k=min(5, len(ids)))
    with engine.connect() as connection:
        def stored() -> list[str]:
            query = text(f"SELECT CAST(document AS TEXT) FROM {SEARCH_TABLE} WHERE service_id = :id")
            query = query.bindparams(bindparam("id", type_=Uuid()))
            return [connection.execute(query, {"id": i}).scalar_one() for i in sample]
        before = stored()
    with Session(engine) as session, session.begin():
        documents.refresh(session, sample)
    with engine.connect() as connection:
        after = stored()
    if before != after:
        raise AssertionError(f"generated search documents differ from the app's: {before[0]!r} vs {after[0]!r}")


def build(url: str, n_services: int, data_dir: Path = DATA_DIR, log: bool = True) -> dict[str, int]:
    """Migrate the (empty) database at url and load the national data set into it."""
    started = time.perf_counter()
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    rng = random.Random(SEED)
    try:
        with Session(engine) as session, session.begin():
            counts = load_areas(session, rng, data_dir)
            weights = dict(session.execute(
                select(Postcode4.gemeente_code, func.count()).where(Postcode4.kind != PostcodeKind.po_box)
                .group_by(Postcode4.gemeente_code)
            ).all())
            counts |= generate(session, rng, n_services, weights)
            # As `wijkkaart db upgrade` writes the index for data that did not come through the save paths.
            counts |= {f"index_{name}": n for name, n in bring_up_to_date(session).items()}
        _check_documents(engine, rng)
        # Planner statistics and (PostgreSQL) the visibility map for index-only scans, as
        # autovacuum or PRAGMA optimize (SQLite) would keep them. SQLite's ANALYZE runs in a
        # transaction of its own: the app's engine begins one on every connection (even in
        # AUTOCOMMIT), and one left open rolls the statistics back.
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    counts["seconds"] = round(time.perf_counter() - started)
    if log:
        print(f"built {n_services} services at {make_url(url).render_as_string()}: {counts}", flush=True)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200_000)
    parser.add_argument("--sqlite", type=Path, help="file to (re)create")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, help="admin URL; the database search_scale uses")
    args = parser.parse_args()
    if args.sqlite:
        args.sqlite.unlink(missing_ok=True)
        build(f"sqlite:///{args.sqlite}", args.services)
    if args.postgres:
        from bench.search_scale import postgres_database  # search_scale imports this module

        build(recreate_postgres(args.postgres, postgres_database(args.services)), args.services)


if __name__ == "__main__":
    main()
