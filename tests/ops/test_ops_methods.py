"""OPTIONS and 405 name every method a path takes; a 500 leaves a keep-alive connection usable."""

import http.client
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.main import create_app
from tests.support.live_server import live_server


def example_path(template: str) -> str:
    # Any value fits a path parameter for routing; which entry it names does not matter here.
    return re.sub(r"\{[^}]+\}", "x", template)


def test_options_lists_every_method_of_every_path(demo_client: TestClient) -> None:
    methods: dict[str, set[str]] = {}
    for route in iter_route_contexts(demo_client.app.routes):  # type: ignore[attr-defined]
        if route.methods:
            methods.setdefault(route.path, set()).update(route.methods)
    assert {"GET", "POST"} <= methods["/api/v1/search"]
    for template, declared in methods.items():
        expected = declared | {"OPTIONS"} | ({"HEAD"} if "GET" in declared else set())
        response = demo_client.options(example_path(template))
        assert response.status_code == 204, (template, response.status_code)
        assert set(response.headers["allow"].split(", ")) == expected, template


def test_a_405_lists_every_method_of_the_path(demo_client: TestClient) -> None:
    response = demo_client.delete("/api/v1/search")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert demo_client.options("/api/v1/no-such-path").status_code == 404


def test_after_a_500_the_keep_alive_connection_serves_the_next_request(demo_engine: Any) -> None:
    app = create_app(demo_engine)

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError("a defect")

    with live_server(app) as base:
        url = urlsplit(base)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)  # type: ignore[arg-type]
        try:
            connection.request("GET", "/broken")
            failed = connection.getresponse()
            body = failed.read()
            assert failed.status == 500 and b"a defect" not in body
            # Either the connection stays open, or the server says it closes it.
            assert failed.getheader("connection", "").lower() != "close"
            connection.request("GET", "/api/v1/taxonomy")
            assert connection.getresponse().status == 200
        finally:
            connection.close()
