"""Prometheus metrics: requests per route template, their latency, and the database pool.

Each app has its own registry (tests build many apps in one process). With several
uvicorn workers each worker answers /metrics for itself; scrape them per container.
/metrics is served only with a token (WIJKKAART_METRICS_TOKEN), which a scrape sends as
`Authorization: Bearer <token>`: request counts per route say who uses what, and when.
"""

import hmac
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response

from app.errors import Unauthorized


class PoolCollector(Collector):
    """The engine's connection pool, read at scrape time."""

    _GAUGES = (
        ("size", "size", "Connections the pool keeps."),
        ("checked_out", "checkedout", "Connections in use by requests."),
        ("checked_in", "checkedin", "Idle connections in the pool."),
        ("overflow", "overflow", "Connections beyond the pool size (negative: room left before the pool is full)."),
    )

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.engine.pool
        for name, method, help_text in self._GAUGES:
            if callable(read := getattr(pool, method, None)):
                yield GaugeMetricFamily(f"wijkkaart_db_pool_{name}", help_text, value=read())


class Metrics:
    def __init__(self, engine: Engine, token: str) -> None:
        self._authorization = f"Bearer {token}".encode()
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "wijkkaart_http_requests", "HTTP requests answered, by route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "wijkkaart_http_request_duration_seconds", "Time to answer a request (streamed bodies: until the last byte).",
            ["method", "route"], registry=self.registry,
        )
        self.registry.register(PoolCollector(engine))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def endpoint(self, request: Request) -> Response:
        sent = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(sent, self._authorization):
            raise Unauthorized("Send the metrics token: `Authorization: Bearer <WIJKKAART_METRICS_TOKEN>`.",
                               headers={"WWW-Authenticate": 'Bearer realm="wijkkaart-metrics"'})
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})
