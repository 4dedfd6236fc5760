"""Referrals at scale: N generated referrals (default 1,000,000) on PostgreSQL, then the
monitoring aggregate and a practice's change-feed and list pages, timed in-process.

    .venv/bin/python -m bench.referrals [--count 1000000] [--practices 500]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A scratch database (wijkkaart_bench_referrals) gets the schema and the demo region; the
referrals spread over 13 months, the demo's services and 500 practices, with their
domains and every step, and are loaded by COPY; the monitoring's counts are made from them. Each measured call runs on a warm
connection; the median of several runs is printed, never asserted.
"""

import argparse
import io
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from app.clients.models import ApiClient, Role
from app.clients.scope import Principal
from app.db import alembic_config, make_engine
from app.demo import load_demo
from app.monitoring.service import referral_monitoring
from app.referrals import codes
from app.referrals.models import Referral
from app.referrals.schemas import Outcome, Status
from app.referrals.service import changes, list_referrals
from app.services.models import Service, ServiceNeedDomain, ServiceOwner
from bench.national_data import DEFAULT_POSTGRES
from tests.support.factories import make_key

NAME = "wijkkaart_bench_referrals"
STEPS = [Status.ontvangen, Status.contact_gelegd, Status.intake_gedaan, Status.afgesloten]


def scratch(admin_url: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {NAME}"))
    admin.dispose()
    url = make_url(admin_url).set(database=NAME).render_as_string(hide_password=False)
    command.upgrade(alembic_config(url), "head")
    return url


def _copy(raw: object, table: str, columns: str, buffer: io.StringIO) -> None:
    buffer.seek(0)
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def generate(engine: object, count: int, practices: list[uuid.UUID], rng: random.Random) -> None:
    with Session(engine) as session:  # type: ignore[arg-type]
        services = session.exec(select(Service.id, Service.organisation_id)).all()
        owner = dict(session.exec(select(ServiceOwner.service_id, ServiceOwner.gemeente_code)).all())
        domains: dict[uuid.UUID, list[str]] = {}
        for service_id, domain in session.exec(select(ServiceNeedDomain.service_id, ServiceNeedDomain.domain_code)):
            domains.setdefault(service_id, []).append(domain)
    now = datetime.now(UTC)
    batch = 100_000
    # A plain connection: COPY of a batch takes longer than the app's statement timeout allows.
    loader = create_engine(engine.url)  # type: ignore[attr-defined]
    raw = loader.raw_connection()
    made = 0
    while made < count:
        referrals, chosen, events = io.StringIO(), io.StringIO(), io.StringIO()
        for _ in range(min(batch, count - made)):
            referral_id = uuid.uuid4()
            service_id = rng.choice(services)[0]
            practice = rng.choice(practices)
            created = now - timedelta(days=rng.uniform(0, 395))
            steps = rng.choice([0, 1, 2, 2, 3, 4, 4, 4])
            status = Status.verstuurd if steps == 0 else STEPS[steps - 1]
            outcome = rng.choice(list(Outcome)) if status == Status.afgesloten else None
            at, stamps = created, []
            for _ in range(steps):
                at += timedelta(days=rng.expovariate(1 / 3))
                stamps.append(at)
            acknowledged = stamps[0] if stamps else None
            contact_days = (stamps[1] - created).total_seconds() / 86400 if steps >= 2 else None
            month = created.strftime("%Y-%m")
            deadline = created + timedelta(days=7)
            referrals.write("\t".join(str(v) if v is not None else r"\N" for v in (
                referral_id, codes.new_code(), practice, service_id, owner.get(service_id), month, rng.choice(
                    ["normaal", "normaal", "normaal", "spoed"]), status, outcome, (stamps[-1] if stamps else created),
                created, deadline, acknowledged, contact_days,
            )) + "\n")
            for domain in rng.sample(domains[service_id], min(len(domains[service_id]), rng.choice([1, 1, 2]))):
                chosen.write(f"{referral_id}\t{domain}\n")
            for index, stamp in enumerate([created, *stamps]):
                step = Status.verstuurd if index == 0 else STEPS[index - 1]
                step_outcome = outcome if step == Status.afgesloten else None
                events.write(f"{referral_id}\t{practice}\t{step}\t{step_outcome or chr(92) + 'N'}\t{stamp}\n")
        _copy(raw, "referral", "id, code, practice_client_id, service_id, gemeente_code, month, urgency, status, "
              "outcome, updated_at, created_at, acknowledge_by, acknowledged_at, days_to_contact", referrals)
        _copy(raw, "referral_domain", "referral_id, domain_code", chosen)
        _copy(raw, "referral_event", "referral_id, practice_client_id, status, outcome, at", events)
        raw.commit()
        made += min(batch, count - made)
        print(f"  {made:,} referrals loaded", flush=True)
    with raw.cursor() as cursor:
        # The counts the app keeps with every change, made from the generated referrals at once.
        cursor.execute(
            "INSERT INTO referral_tally SELECT r.month, coalesce(r.gemeente_code, ''), d.domain_code, r.service_id, "
            "r.status, coalesce(r.outcome, ''), count(*), count(*) FILTER (WHERE r.acknowledged_at > r.acknowledge_by) "
            "FROM referral r JOIN referral_domain d ON d.referral_id = r.id GROUP BY 1, 2, 3, 4, 5, 6"
        )
        cursor.execute(
            "INSERT INTO referral_contact_days SELECT r.month, coalesce(r.gemeente_code, ''), d.domain_code, "
            "r.service_id, floor(r.days_to_contact)::int, count(*) FROM referral r "
            "JOIN referral_domain d ON d.referral_id = r.id WHERE r.days_to_contact IS NOT NULL GROUP BY 1, 2, 3, 4, 5"
        )
        cursor.execute("ANALYZE")
    raw.commit()
    raw.close()
    loader.dispose()


def timed(call: object, runs: int) -> float:
    """The median milliseconds of `runs` calls, after one to warm up."""
    call()  # type: ignore[operator]
    spent = []
    for _ in range(runs):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--practices", type=int, default=500)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--measure-only", action="store_true", help="Time the database an earlier run generated.")
    args = parser.parse_args()
    if args.measure_only:
        engine = make_engine(make_url(args.postgres).set(database=NAME).render_as_string(hide_password=False))
    else:
        engine = make_engine(scratch(args.postgres))
        with Session(engine) as session, session.begin():
            load_demo(session)
            for number in range(args.practices):
                make_key(session, f"Praktijk {number}", "practice")
        with Session(engine) as session:
            practices = list(session.exec(select(ApiClient.id).where(ApiClient.role == Role.practice)).all())
        start = time.perf_counter()
        generate(engine, args.count, practices, random.Random(30))
        print(f"Generated {args.count:,} referrals in {time.perf_counter() - start:.0f} s")
    with Session(engine) as session:
        print(f"Referrals: {session.exec(select(func.count()).select_from(Referral)).one():,}")

    admin = Principal(uuid.uuid4(), "bench admin", Role.admin)
    gemeente = Principal(uuid.uuid4(), "bench gemeente", Role.editor, frozenset({"GM0687"}))
    with Session(engine) as session:
        busiest = session.exec(text(  # type: ignore[call-overload]
            "SELECT practice_client_id FROM referral GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar_one()
        practice = Principal(busiest, "bench practice", Role.practice)
        half = session.exec(select(Referral.id).limit(1)).first()
        assert half
        cells = len(referral_monitoring(session, admin).cells)
        print(f"Monitoring, all gemeenten ({cells:,} cells): {timed(lambda: referral_monitoring(session, admin), 5):.0f} ms")
        print(f"Monitoring, one gemeente (GM0687): {timed(lambda: referral_monitoring(session, gemeente), 5):.0f} ms")
        months = sorted({c.month for c in referral_monitoring(session, gemeente).cells})
        print(f"Monitoring, one gemeente, last 3 months: "
              f"{timed(lambda: referral_monitoring(session, gemeente, months[-3]), 5):.0f} ms")
        first = changes(session, practice, None, 100)
        middle = first.next_cursor
        for _ in range(3):
            middle = changes(session, practice, middle, 100).next_cursor
        print(f"Practice change feed, a page of 100 (first): {timed(lambda: changes(session, practice, None, 100), 50):.1f} ms")
        print(f"Practice change feed, a page of 100 (later): {timed(lambda: changes(session, practice, middle, 100), 50):.1f} ms")
        listed = timed(lambda: list_referrals(session, practice, incoming=False, status=None, since=None, cursor=None,
                                              limit=50), 50)
        print(f"Practice list, a page of 50: {listed:.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
