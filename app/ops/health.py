"""/health/live (the process answers) and /health/ready (the database answers, at the migration head).

With read replicas (app.replicas), /health/ready also lists each replica, in rotation or
not and why; a replica out of rotation does not make the node unready, since its reads go
elsewhere. While the primary does not answer but a replica does, the node is `read-only`
(200: it still answers reads).

Readiness asks the database on every probe, through the pool (whose pre-ping replaces a
dead connection), on a worker thread it waits for at most `health_timeout` seconds. One
check runs at a time: a probe that arrives while one is still waiting waits for that one.
So readiness turns false within seconds of an outage, and true again once the database is
back, without a restart.
"""

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from app.db import current_revisions, migration_heads
from app.replicas import Databases


class Check(BaseModel):
    ok: bool
    detail: str = Field(examples=["at head 0005"])


class Readiness(BaseModel):
    status: Literal["ready", "read-only", "not-ready"]
    checks: dict[str, Check] = Field(description="`database` (reachable) and `migrations` (at the head of this code).")
    replicas: dict[str, Check] = Field(default={}, description="Each read replica: `ok` while it is in rotation.")


class ReadinessProbe:
    def __init__(self, engine: Engine, timeout: float) -> None:
        self.engine = engine
        self.timeout = timeout
        self._heads: set[str] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readiness")
        self._pending: Future[dict[str, Check]] | None = None
        self._lock = threading.Lock()

    def _check(self) -> dict[str, Check]:
        if self._heads is None:
            self._heads = migration_heads(self.engine)
        heads = self._heads
        try:
            # begin(): the probe's transaction ends with COMMIT; a ROLLBACK would make psycopg
            # forget the statements it prepared on this pooled connection (app.db.get_session).
            with self.engine.begin() as connection:
                current = current_revisions(connection)
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; its class says which
            return {
                "database": Check(ok=False, detail=f"unreachable ({exc.__class__.__name__})"),
                "migrations": Check(ok=False, detail="not checked: no database"),
            }
        migrations = (
            Check(ok=True, detail=f"at head {', '.join(sorted(heads))}") if current == heads
            else Check(ok=False, detail=f"at {', '.join(sorted(current)) or 'none'}, code needs {', '.join(sorted(heads))}")
        )
        return {"database": Check(ok=True, detail="reachable"), "migrations": migrations}

    def run(self) -> dict[str, Check]:
        with self._lock:
            if self._pending is None or self._pending.done():
                self._pending = self._executor.submit(self._check)
            pending = self._pending
        try:
            return pending.result(timeout=self.timeout)
        except FutureTimeout:
            return {
                "database": Check(ok=False, detail=f"no answer within {self.timeout:g} s"),
                "migrations": Check(ok=False, detail="not checked: no database"),
            }

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


# For orchestrators and load balancers, not API clients: outside the OpenAPI document, like /metrics.
router = APIRouter(prefix="/health", include_in_schema=False)
_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/live")
def live() -> JSONResponse:
    """The process is up (no database needed)."""
    return JSONResponse({"status": "live"}, headers=_NO_STORE)


@router.get("/ready")
def ready(request: Request) -> JSONResponse:
    """200 when the database answers and its schema is at this code's migration head, or
    (`read-only`) when only a replica in rotation does; else 503, `checks` says which failed."""
    probe: ReadinessProbe = request.app.state.readiness
    databases: Databases = request.app.state.databases
    checks = probe.run()
    databases.primary_checked(checks["database"].ok)  # routing follows what this probe found, at once
    replicas = {name: Check(ok=serves, detail=detail) for name, (serves, detail) in databases.rotation().items()}
    if all(check.ok for check in checks.values()):
        status: Literal["ready", "read-only", "not-ready"] = "ready"
    else:
        status = "read-only" if any(check.ok for check in replicas.values()) else "not-ready"
    body = Readiness(status=status, checks=checks, replicas=replicas)
    return JSONResponse(body.model_dump(), status_code=503 if status == "not-ready" else 200, headers=_NO_STORE)
