"""The one text matcher for entities without a stored document (app/search/text.py entities_matching).

    .venv/bin/python -m bench.one_matcher [--rows 25000,300000] [--backends sqlite,postgresql] [--stems]

Per database and number of rows (organisations with made-up three-word names, as many as a
national catalogue's organisations, 25,000, or its contacts, 300,000), per query: ms to count
the matches by the FHIR starts-a-word ilike the matcher replaces, by entities_matching (the
database narrows, Python stems and tests the candidates), and by testing every row's name in
Python; with the candidates and matches. --stems checks what entities_matching's narrowing
rests on: a stem differs from the start of its word in at most its last two letters, over
wordfreq's whole Dutch list (about 25 s). Prints figures, asserts nothing.
"""

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import wordfreq
from alembic import command
from sqlalchemy import Engine, func, insert, or_, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.db import alembic_config, make_engine
from app.dialect import folded
from app.folding import fold
from app.organisations.models import Organisation
from app.search.text import _NOT_STEM, _WORD, _stem, entities_matching, text_matcher
from bench.national_data import DEFAULT_POSTGRES, recreate_postgres

QUERIES = ("stichting", "zorg", "huurachterstand", "uitkering", "gemeente", "schulden", "kinderen", "onvindbaar")
SEED = 31


def check_stems() -> None:
    """How far each word's stem differs from the start of the word (letters that fold to no a-z aside)."""
    changed: Counter[int] = Counter()
    for word in wordfreq.get_frequency_dict("nl"):
        for part in _WORD.findall(fold(word)):
            stem, plain = _NOT_STEM.sub("", _stem(part)), _NOT_STEM.sub("", part)
            if plain != part:
                changed[-1] += 1
                continue
            same = next((i for i, (a, b) in enumerate(zip(stem, plain, strict=False)) if a != b), min(len(stem), len(plain)))
            changed[len(stem) - same] += 1
    print("letters at the end of a stem that differ from its word: words")
    for letters, words in sorted(changed.items()):
        print(f"  {'outside a-z' if letters < 0 else letters}: {words}")


def _names(rng: random.Random, n: int) -> list[str]:
    vocabulary = [w for w in wordfreq.top_n_list("nl", 6000) if w.isalpha() and len(w) > 3]
    kinds = ["Stichting", "Gemeente", "Zorggroep", "Welzijn", "Huisartsenpraktijk", "Coöperatie", "Schuldhulp",
             "Bijstandsuitkering", "Huurteam"]
    return [f"{rng.choice(kinds)} {rng.choice(vocabulary).capitalize()} {rng.choice(vocabulary)}" for _ in range(n)]


def _fill(engine: Engine, names: list[str]) -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    rows = [{"id": uuid.uuid4(), "name": name, "version": 1, "created_at": now, "updated_at": now} for name in names]
    with Session(engine) as session, session.begin():
        for start in range(0, len(rows), 20_000):
            session.execute(insert(Organisation), rows[start:start + 20_000])


def _timed(work: Callable[[], int], repeat: int = 3) -> tuple[float, int]:
    times, result = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def measure(engine: Engine) -> None:
    def count(session: Session, clause: object) -> int:
        return session.execute(select(func.count()).select_from(Organisation).where(clause)).scalar_one()  # type: ignore[arg-type]

    print(f"  {'query':<16} {'ilike ms':>9} {'matcher ms':>11} {'python ms':>10} {'ilike n':>8} {'matches':>8}")
    with Session(engine) as session:
        for q in QUERIES:
            pattern = fold(q)
            ilike = or_(*(folded(Organisation.name).ilike(f"{start}{pattern}%") for start in ("", "% ", "%-")))
            try:
                old_ms, old_n = _timed(lambda ilike=ilike: count(session, ilike))  # type: ignore[misc]
            except OperationalError:  # the statement timeout
                session.rollback()
                old_ms, old_n = float("nan"), -1
            new_ms, new_n = _timed(lambda q=q: count(session, entities_matching(  # type: ignore[misc]
                session, q, Organisation.id, [Organisation.name], field="name")))

            def every_row(q: str = q) -> int:
                matches = text_matcher(session, q, field="name")
                return sum(1 for name in session.execute(select(Organisation.name)).scalars() if matches(name))

            python_ms, python_n = _timed(every_row)
            assert python_n == new_n  # the same matcher
            print(f"  {q:<16} {old_ms:9.1f} {new_ms:11.1f} {python_ms:10.1f} {old_n:8} {new_n:8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="25000,300000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--stems", action="store_true")
    args = parser.parse_args()
    if args.stems:
        check_stems()
    for n in (int(value) for value in args.rows.split(",")):
        names = _names(random.Random(SEED), n)
        for backend in args.backends.split(","):
            with tempfile.TemporaryDirectory() as directory:
                if backend == "sqlite":
                    url = f"sqlite:///{Path(directory) / 'bench.db'}"
                else:
                    url = recreate_postgres(args.postgres, "wk_bench_one_matcher")
                command.upgrade(alembic_config(url), "head")
                engine = make_engine(url)
                try:
                    _fill(engine, names)
                    print(f"{backend}, {n} organisations:")
                    measure(engine)
                finally:
                    engine.dispose()


if __name__ == "__main__":
    main()
