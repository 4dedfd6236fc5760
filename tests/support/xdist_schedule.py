"""How the suite is spread over xdist workers: as `--dist load` spreads it (chunks of tests in
collection order, by their place in the collection), except that the tests of a module named
to keep together go to one worker all at once, one batch per database, and so do both
databases' runs of a test named to compare them.

Those modules build module or session fixtures that cost far more than their tests (the
national import, a cluster of PostgreSQL servers, Chromium). xdist's own `--dist loadgroup`
would do this by a mark, but it finds a group by renaming each test's node id, which pytest
9.2 no longer takes; and its scope-based schedulers also run only one of several tests that
share a node id (schemathesis makes one per API operation).
"""

import re
from collections.abc import Collection

import pytest
from xdist.scheduler import LoadScheduling
from xdist.workermanage import WorkerController

# The database in a parametrised test's id: `[sqlite]`, `[postgresql-body0-4381AA]`, …
DATABASE = re.compile(r"[\[-](sqlite|postgresql)[\]-]")


class KeepTogether(LoadScheduling):
    def __init__(self, config: pytest.Config, log: object, modules: Collection[str], compared: Collection[str]) -> None:
        super().__init__(config, log)  # type: ignore[arg-type]
        self.modules = set(modules)
        self.compared = set(compared)

    def _batch(self, index: int) -> str | None:
        """The batch the test at `index` goes in: its module and database for a module kept
        together, the test itself for one that compares the databases."""
        assert self.collection is not None
        nodeid = self.collection[index]
        test = nodeid.split("[", 1)[0]
        if test in self.compared:
            return test
        path = nodeid.split("::", 1)[0]
        if path not in self.modules:
            return None
        database = DATABASE.search(nodeid)
        return f"{path} {database.group(1) if database else ''}"

    def _send_tests(self, node: WorkerController, num: int) -> None:
        chosen = self.pending[:num]
        batches = {batch for index in chosen if (batch := self._batch(index))}
        if batches:
            chosen += [index for index in self.pending[num:] if self._batch(index) in batches]
        if not chosen:
            return
        taken = set(chosen)
        self.pending[:] = [index for index in self.pending if index not in taken]
        self.node2pending[node].extend(chosen)
        node.send_runtest_some(chosen)
