"""A Python client generated from /openapi.json (openapi-python-client) runs a search and a sync round.

Generation must be clean: any warning fails, as an integrator would see it fail. The
generator runs with its defaults, as an integrator would run it: no private configuration.
"""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.search.schemas import MATCH_LEVELS


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory, backend, demo_client) -> object:
    if backend.name != "sqlite":
        pytest.skip("the client is generated and exercised once, against the SQLite app")
    folder = tmp_path_factory.mktemp("client")
    spec = folder / "openapi.json"
    spec.write_text(json.dumps(demo_client.get("/openapi.json").json()))
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec), "--meta", "none",
         "--output-path", str(folder / "wijkkaart_client")],
        capture_output=True, text=True, timeout=300, check=False,  # the output goes into the assertion
        # The generator's default post-hooks format with ruff: the one installed beside this Python.
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("wijkkaart_client")
    finally:
        sys.path.remove(str(folder))


def test_the_generated_client_searches_and_syncs(generated, demo_client) -> None:
    package = generated.__name__
    client = generated.Client(base_url="http://testserver")
    client.set_httpx_client(demo_client)  # the in-process app; an integrator passes its real server's URL
    search = importlib.import_module(f"{package}.api.search.search_get")
    changes = importlib.import_module(f"{package}.api.sync.list_changes")
    export = importlib.import_module(f"{package}.api.sync.export_catalogue")

    page = search.sync(client=client, postcode="4331AB", domain=["financien"])
    assert page.items and page.items[0].service.name
    assert {item.match for item in page.items} <= set(MATCH_LEVELS)

    lines = export.sync_detailed(client=client).content.decode().splitlines()
    cursor = json.loads(lines[0])["next_cursor"]
    feed = changes.sync(client=client, since=cursor)
    assert feed.items == [] and feed.has_more is False and feed.next_cursor == cursor
    everything = changes.sync(client=client, limit=1000)
    exported = {(line["type"], line["id"]) for line in map(json.loads, lines[1:])}
    assert {(change.entity_type.value, change.entity_id) for change in everything.items} == exported


def test_the_generated_client_reads_the_export_and_problems(generated, demo_client) -> None:
    package = generated.__name__
    client = generated.Client(base_url="http://testserver", raise_on_unexpected_status=True)
    client.set_httpx_client(demo_client)
    export = importlib.import_module(f"{package}.api.sync.export_catalogue")
    read_service = importlib.import_module(f"{package}.api.services.read_service")
    problem_model = importlib.import_module(f"{package}.models.problem").Problem

    exported = export.sync(client=client)  # parsed, not an UnexpectedStatus
    lines = exported.payload.read().decode().splitlines()
    assert json.loads(lines[0])["type"] == "cursor" and len(lines) > 1

    missing = read_service.sync(client=client, service_id="00000000-0000-4000-8000-000000000000")
    assert isinstance(missing, problem_model)
    assert missing.status == 404 and missing.type_ == "/problems/not-found"
