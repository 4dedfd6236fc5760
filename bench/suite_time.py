"""The test suite's wall time: the tests of a reference commit (default 17d6f90, the 1,082
tests the suite held before they were moved into tests/<feature>/), or the whole suite, each
in one or more work trees in turn.

The reference set is collected in a temporary `git worktree` of that commit, and each of its
node ids is found in the tree timed: under the path git follows the file to (the tests moved
into tests/<feature>/), or else by its unique test name. Ids the tree no longer has (a case
removed since) are counted and named, not run. Each tree runs with its own configuration
(its pyproject's pytest options) and its own `.venv` where it has one; `--tree` given more than
once alternates the trees round by round, so that a shared machine's load falls on all alike.

    .venv/bin/python -m bench.suite_time [--whole] [--reference 17d6f90] [--tree PATH ...] [--rounds 1] \
        [-- extra pytest arguments]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"=+ (?P<counts>.*?) in (?P<seconds>[\d.]+)s")


def _git(tree: Path, *arguments: str) -> str:
    return subprocess.run(["git", "-C", str(tree), *arguments], check=True, capture_output=True, text=True).stdout


def _python(tree: Path) -> str:
    own = tree / ".venv" / "bin" / "python"
    return str(own) if own.exists() else sys.executable


def collect(tree: Path, python: str) -> list[str]:
    """The node ids pytest collects in `tree`, as that tree's code defines them."""
    done = subprocess.run(
        [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-o", "addopts="],
        cwd=tree, capture_output=True, text=True,
    )
    ids = [line.strip() for line in done.stdout.splitlines() if "::" in line]
    if done.returncode != 0 or not ids:
        sys.exit(f"collecting in {tree} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return ids


def reference_ids(reference: str) -> list[str]:
    """The node ids of the suite at `reference`, collected in a temporary work tree of it."""
    # Beside this tree, so that its tests find ../shared as this tree's do.
    with tempfile.TemporaryDirectory(prefix=".suite-reference-", dir=HERE.parent) as scratch:
        tree = Path(scratch) / "tree"
        _git(HERE, "worktree", "add", "--detach", str(tree), reference)
        try:
            return collect(tree, sys.executable)
        finally:
            _git(HERE, "worktree", "remove", "--force", str(tree))


def moves(reference: str, tree: Path) -> dict[str, str]:
    """Test files renamed between `reference` and the tree's HEAD, old path to new."""
    moved = {}
    for line in _git(tree, "diff", "-M", "--name-status", reference, "HEAD", "--", "tests/").splitlines():
        status, *paths = line.split("\t")
        if status.startswith("R"):
            moved[paths[0]] = paths[1]
    return moved


def map_ids(old: list[str], current: list[str], moved: dict[str, str]) -> tuple[list[str], list[str]]:
    """`old` as ids of the current tree; and those it no longer has."""
    present = set(current)
    by_name: dict[str, list[str]] = defaultdict(list)
    for node in current:
        by_name[node.split("::", 1)[1]].append(node)
    found, gone = [], []
    for node in old:
        path, name = node.split("::", 1)
        candidate = f"{moved.get(path, path)}::{name}"
        if candidate in present:
            found.append(candidate)
        elif len(by_name[name]) == 1:
            found.append(by_name[name][0])
        else:
            gone.append(node)
    # A test that runs cases of its own (schemathesis: one per operation) is listed once per case.
    return list(dict.fromkeys(found)), gone


@dataclass
class Run:
    tree: Path
    tests: int
    seconds: float
    summary: str
    returncode: int


def run(tree: Path, python: str, ids: list[str] | None, extra: list[str]) -> Run:
    """One pytest run in `tree`, of `ids` (None: the whole suite); its wall time."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="suite-ids-") as listing:
        selection: list[str] = []
        if ids is not None:
            listing.write("\n".join(ids) + "\n")
            listing.flush()
            selection = [f"@{listing.name}"]
        started = time.perf_counter()
        done = subprocess.run(
            [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection, *extra],
            cwd=tree, capture_output=True, text=True, env=os.environ,
        )
        seconds = time.perf_counter() - started
    lines = done.stdout.splitlines()
    summary = next((line for line in reversed(lines) if SUMMARY.match(line)), lines[-1] if lines else "")
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-5000:] + done.stderr[-3000:])
    return Run(tree, len(ids) if ids is not None else 0, seconds, summary.strip("= "), done.returncode)


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--whole", action="store_true", help="the whole suite of each tree, not the reference set")
    parser.add_argument("--reference", default="17d6f90", help="the commit whose tests are timed (default 17d6f90)")
    parser.add_argument("--tree", action="append", type=Path, help="a work tree to time (repeatable; default this one)")
    parser.add_argument("--rounds", type=int, default=1, help="each tree this many times, in turn")
    parser.add_argument("--list", action="store_true", help="print the mapped ids of the first tree and stop")
    arguments, extra = parser.parse_known_args()
    extra = [argument for argument in extra if argument != "--"]
    trees = [tree.resolve() for tree in arguments.tree or [HERE]]

    selections: dict[Path, list[str] | None] = dict.fromkeys(trees)
    if not arguments.whole:
        old = reference_ids(arguments.reference)
        # schemathesis lists a test once per API operation, under one node id
        print(f"{arguments.reference}: {len(old)} tests collected, {len(set(old))} node ids")
        for tree in trees:
            found, gone = map_ids(old, collect(tree, _python(tree)), moves(arguments.reference, tree))
            selections[tree] = found
            print(f"{tree}: {len(found)} of those node ids found, {len(gone)} gone{': ' if gone else ''}{' '.join(gone)}")
        if arguments.list:
            print("\n".join(selections[trees[0]] or []))
            return

    results: dict[Path, list[Run]] = defaultdict(list)
    for round_number in range(1, arguments.rounds + 1):
        for tree in trees:
            result = run(tree, _python(tree), selections[tree], extra)
            results[tree].append(result)
            print(f"round {round_number}  {tree}  {_minutes(result.seconds)} wall  ({result.summary})", flush=True)

    print("\ntree  commit  wall time per round (m:ss)  best")
    for tree, runs in results.items():
        commit = _git(tree, "rev-parse", "--short", "HEAD").strip()
        dirty = " +changes" if _git(tree, "status", "--porcelain", "--untracked-files=no").strip() else ""
        times = "  ".join(_minutes(r.seconds) for r in runs)
        print(f"{tree}  {commit}{dirty}  {times}  {_minutes(min(r.seconds for r in runs))}")
    if any(r.returncode not in (0, 5) for runs in results.values() for r in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
