"""Bulk import and CSV export, on SQLite and PostgreSQL: Excel's CSV variants, JSON, dry
runs, all or nothing, scope, export -> import as a no-op, external ids, the audit trail."""

import csv
import io
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from typer.testing import CliRunner

from app.changelog.models import ChangeLogEntry
from app.cli import app as cli
from app.clients.scope import Actor
from app.imports import service as import_service
from app.imports.csv_layout import ENTITIES, LAYOUTS, header_columns, row_patch, split_values, write_row
from app.imports.service import json_parts, run_import
from app.locations.schemas import LocationWrite
from app.services.schemas import ServiceWrite
from app.services.service import save_service
from app.settings import get_settings
from tests.conftest import Api
from tests.maintenance.test_write_scope import ORGANISATION, SERVICE, TARGETS, dump, seed_item
from tests.support.factories import assert_index_as_rebuilt, index_rows

PROBLEM = "application/problem+json"
SERVICE_HEADER = "external_id;organisation_id;name;need_domains;access_route;areas;waiting_days"


def changes_logged(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(ChangeLogEntry)).scalar_one()


def upload(api: Api, who: str, files: dict[str, bytes], **params: Any) -> Any:
    """POST /import with one file per kind, named after the kind."""
    return api.client.post(
        "/api/v1/import", params=params, headers=api.headers(who),
        files=[("files", (name, content, "text/csv")) for name, content in files.items()],
    )


def export(api: Api, who: str, entity: str, **params: Any) -> bytes:
    response = api.client.get(f"/api/v1/export/{entity}.csv", params=params, headers=api.headers(who))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response.content


def created_id(report: dict[str, Any], entity: str, external_id: str) -> str:
    return next(c["id"] for c in report["changes"] if c["entity"] == entity and c["external_id"] == external_id)


@pytest.mark.parametrize("who", ["admin", "editor"])
def test_export_then_import_of_the_unchanged_catalogue_changes_nothing(api: Api, who: str) -> None:
    files = {f"{entity}.csv": export(api, who, entity) for entity in ENTITIES}
    assert files["services.csv"].startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to see UTF-8
    before, logged = dump(api.engine), changes_logged(api.engine)

    response = upload(api, who, files)

    assert response.status_code == 200, response.text
    counts = response.json()["counts"]
    assert all(c["created"] == c["updated"] == 0 for c in counts.values()), counts
    assert counts["services"]["unchanged"] > 0 and counts["front_doors"]["unchanged"] > 0
    assert changes_logged(api.engine) == logged
    assert dump(api.engine) == before


def test_an_editor_exports_only_what_it_may_change(api: Api) -> None:
    everything = export(api, "admin", "services").decode("utf-8-sig").splitlines()
    middelburg = export(api, "editor", "services").decode("utf-8-sig").splitlines()
    vlissingen = export(api, "admin", "services", gemeente="GM0718").decode("utf-8-sig").splitlines()
    assert len(everything) > len(middelburg) > 1 and len(vlissingen) > 1
    assert any(line.startswith(SERVICE) for line in middelburg)
    assert not any(line.startswith(SERVICE) for line in vlissingen)
    refused = api.client.get("/api/v1/export/services.csv", params={"gemeente": "GM0718"}, headers=api.headers("editor"))
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    assert api.client.get("/api/v1/export/services.csv", headers=api.headers("reader")).status_code == 403


def test_csv_as_dutch_excel_writes_it(api: Api) -> None:
    # UTF-8 without BOM, commas; Windows-1252 with an é, semicolons, decimal commas and
    # Dutch dates; UTF-8 with BOM. Rows refer to each other by external id.
    organisations = "external_id,name,owners,kvk_number\nMBG-ORG-1,Stichting Één Voorbeeld,GM0687,12345678\n"
    locations = (
        "external_id;organisation_id;name;postcode;lat;lon;opening_hours;exceptions\r\n"
        "MBG-LOC-1;MBG-ORG-1;Café de Brug;4331 ab;51,4995;3,6154;ma 9:00-12:00|di 13.00-17.00;"
        "25-12-2026 gesloten Eerste Kerstdag|24-12-2026 09:00-12:00 Kerstavond\r\n"
    ).encode("cp1252")
    services = (
        f"{SERVICE_HEADER};location_ids;waiting_reported_on;min_age;must_live_in_area;needs_beschikking;needs_gp_referral\r\n"
        "MBG-SVC-1;MBG-ORG-1;Geldzorgen-spreekuur;financien|werk_opleiding;vrij_toegankelijk;WK068703;14;"
        "MBG-LOC-1;1-9-2026;18;ja;nee;ONWAAR\r\n;;;;;;;;;;;;\r\n"
    ).encode("utf-8-sig")

    response = upload(api, "editor", {"organisations.csv": organisations.encode(), "locations.csv": locations,
                                      "services.csv": services})

    assert response.status_code == 200, response.text
    report = response.json()
    assert {e: c["created"] for e, c in report["counts"].items()} == {
        "organisations": 1, "locations": 1, "services": 1, "contacts": 0, "front_doors": 0}
    service = api.client.get(f"/api/v1/services/{created_id(report, 'services', 'MBG-SVC-1')}",
                             headers=api.headers("editor")).json()
    assert service["organisation"]["name"] == "Stichting Één Voorbeeld"
    assert service["external_id"] == "MBG-SVC-1" and service["owners"] == ["GM0687"]
    assert service["need_domains"] == ["financien", "werk_opleiding"]
    assert service["waiting_time"] == {"days": 14, "reported_on": "2026-09-01"}
    assert service["eligibility"]["min_age"] == 18 and service["eligibility"]["must_live_in_area"] is True
    location = service["locations"][0]
    assert (location["name"], location["lat"], location["lon"]) == ("Café de Brug", 51.4995, 3.6154)
    assert location["address"]["postcode"] == "4331AB"
    assert [(h["weekday"], h["opens"], h["closes"]) for h in location["opening_hours"]] == [
        (0, "09:00:00", "12:00:00"), (1, "13:00:00", "17:00:00")]
    assert [(e["date"], e["opens"], e["note"]) for e in location["exceptions"]] == [
        ("2026-12-24", "09:00:00", "Kerstavond"), ("2026-12-25", None, "Eerste Kerstdag")]


def test_excel_unicode_text_imports(api: Api) -> None:
    # Excel's "Unicode-tekst (*.txt)": UTF-16 with a byte-order mark, tab-separated.
    locations = (
        "external_id\torganisation_id\tname\tlat\tlon\r\n"
        "MBG-LOC-U\tMBG-ORG-U\tCafé Één\t51,4995\t3,6154\r\n"
    ).encode("utf-16")
    assert locations[:2] in (b"\xff\xfe", b"\xfe\xff")
    organisations = b"external_id;name;owners\r\nMBG-ORG-U;Stichting Unicode;GM0687\r\n"

    response = upload(api, "editor", {"organisations.csv": organisations, "locations.txt": locations})

    assert response.status_code == 200, response.text
    location = api.client.get(f"/api/v1/locations/{created_id(response.json(), 'locations', 'MBG-LOC-U')}").json()
    assert (location["name"], location["lat"], location["lon"]) == ("Café Één", 51.4995, 3.6154)


def test_a_text_cell_of_spaces_alone_is_empty(api: Api) -> None:
    services = (f"{SERVICE_HEADER};description\r\nMBG-SVC-S;{ORGANISATION};Spreekuur;financien;vrij_toegankelijk;;;   \r\n")
    response = upload(api, "editor", {"services.csv": services.encode()})
    assert response.status_code == 200, response.text
    service = api.client.get(f"/api/v1/services/{created_id(response.json(), 'services', 'MBG-SVC-S')}").json()
    assert service["description"] is None


def test_every_bad_row_is_reported_with_file_row_and_field(api: Api) -> None:
    services = (
        f"{SERVICE_HEADER};min_age;max_age\n"
        f"A;{ORGANISATION};Goed;financien;vrij_toegankelijk;;3;;\n"
        f"B;{ORGANISATION};Slecht getal;financien;vrij_toegankelijk;;veel;;\n"
        f"C;{ORGANISATION};Onbekend domein;onzin;vrij_toegankelijk;;;;\n"
        f"D;onbekende-organisatie;Wees;financien;vrij_toegankelijk;;;;\n"
        f"E;{ORGANISATION};Leeftijden;financien;vrij_toegankelijk;;;67;18\n"
        f"F;{ORGANISATION};Buiten Middelburg;financien;vrij_toegankelijk;WK071801;;;\n"
    )
    contacts = "external_id,name,role,service_id\nK1,Fenna Fictief,wijkcoach,D\n"
    before = dump(api.engine)

    response = upload(api, "editor", {"services.csv": services.encode(), "contacts.csv": contacts.encode()})

    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    errors = [(e["file"], e["row"], e["field"]) for e in response.json()["errors"]]
    assert errors == [
        ("services.csv", 3, "waiting_days"), ("services.csv", 4, "need_domains"),
        ("services.csv", 5, "organisation_id"), ("services.csv", 6, "max_age"), ("services.csv", 7, "areas"),
        ("contacts.csv", 2, "service_id"),
    ]
    messages = {e["row"]: e["message"] for e in response.json()["errors"] if e["file"] == "services.csv"}
    assert "onzin" in messages[4] and "WK071801" in messages[7]
    assert "services.csv row 5" in response.json()["errors"][-1]["message"]  # why the contact's service is missing
    assert dump(api.engine) == before


def test_unreadable_files_and_unknown_columns_are_reported(api: Api) -> None:
    files = {
        "services.csv": b"external_id;name\r\nX;Caf\xe9 \x81\r\n",  # 0x81 is not Windows-1252 either
        "locations.csv": b"external_id,naam\nL,Buurthuis\n",
        "notities.csv": b"a;b\n",
    }
    response = upload(api, "editor", files)
    assert response.status_code == 422
    assert sorted((e["file"], e["row"], e["field"]) for e in response.json()["errors"]) == [
        ("locations.csv", 1, "naam"), ("notities.csv", None, "file"), ("services.csv", None, "file")]
    assert response.json()["detail"].startswith("3 problem(s); nothing was imported.")


def test_a_thousand_rows_with_one_bad_row_write_nothing(api: Api) -> None:
    lines = [SERVICE_HEADER] + [
        f"BULK-{n};{ORGANISATION};Dienst {n};{'financien' if n != 637 else 'financien|geen_domein'};"
        f"vrij_toegankelijk;BU06870101;{n % 30}"
        for n in range(1000)
    ]
    before, logged = dump(api.engine), changes_logged(api.engine)

    response = upload(api, "editor", {"services.csv": "\n".join(lines).encode()})

    assert response.status_code == 422, response.text
    assert [(e["file"], e["row"], e["field"]) for e in response.json()["errors"]] == [("services.csv", 639, "need_domains")]
    assert changes_logged(api.engine) == logged
    assert dump(api.engine) == before

    # The same 1,000 rows without the bad one are written, one change each.
    lines[638] = lines[638].replace("|geen_domein", "")
    response = upload(api, "editor", {"services.csv": "\n".join(lines).encode()})
    assert response.status_code == 200 and response.json()["counts"]["services"]["created"] == 1000
    assert response.json()["changes_truncated"] is False and len(response.json()["changes"]) == 1000
    assert changes_logged(api.engine) == logged + 1000


def test_a_dry_run_reports_what_would_change_and_writes_nothing(api: Api) -> None:
    batch = {
        "services": [
            {"id": SERVICE, "waiting_days": 3},
            {"external_id": "NIEUW-1", "organisation_id": ORGANISATION, "name": "Nieuw", "need_domains": ["financien"],
             "access_route": "vrij_toegankelijk"},
        ],
        "contacts": [{"external_id": "NIEUW-K", "name": "Nieuwe Collega", "role": "wijkcoach", "service_id": "NIEUW-1"}],
    }
    before = dump(api.engine)

    response = api.client.post("/api/v1/import", params={"dry_run": "true"}, json=batch, headers=api.headers("editor"))

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["dry_run"] is True
    assert report["counts"]["services"] == {"created": 1, "updated": 1, "unchanged": 0}
    assert report["counts"]["contacts"]["created"] == 1
    update = next(c for c in report["changes"] if c["action"] == "update")
    assert (update["id"], update["fields"], update["row"]) == (SERVICE, ["waiting_days"], 1)
    assert dump(api.engine) == before

    real = api.client.post("/api/v1/import", json=batch, headers=api.headers("editor"))
    assert real.json()["counts"] == report["counts"]
    # A dry run shows the ids the import gives: a new entry's is drawn then, so it shows none.
    shown = {(c["entity"], c["row"]): c["id"] for c in report["changes"]}
    given = {(c["entity"], c["row"]): c["id"] for c in real.json()["changes"]}
    assert shown == {key: (value if key == ("services", 1) else None) for key, value in given.items()}
    assert all(given.values())


def test_csv_takes_the_dutch_words_and_labels(api: Api) -> None:
    header = "external_id;organisation_id;name;need_domains;target_groups;access_route;cost;status;household_types\n"
    rows = [
        (f"NL-1;{ORGANISATION};Budgetcafé;Financiën|werk & opleiding;Ouderen (50+);Vrij toegankelijk;gratis;actief;"
         "Alleenstaande ouder\n"),
        f"NL-2;{ORGANISATION};Formulierenhulp;FINANCIEN;mantelzorgers;via_wijkteam;Eigen bijdrage;Gepauzeerd;\n",
    ]
    response = upload(api, "editor", {"services.csv": (header + "".join(rows)).encode()})
    assert response.status_code == 200, response.text
    first, second = (
        api.client.get(f"/api/v1/services/{created_id(response.json(), 'services', key)}").json() for key in ("NL-1", "NL-2")
    )
    assert (first["need_domains"], first["target_groups"], first["access_route"], first["cost"], first["status"]) == (
        ["financien", "werk_opleiding"], ["ouderen"], "vrij_toegankelijk", "free", "active"
    )
    assert first["eligibility"]["household_types"] == ["alleenstaande_ouder"]
    assert (second["need_domains"], second["cost"], second["status"]) == (["financien"], "own_contribution", "paused")


def test_csv_names_the_allowed_words_for_a_closed_vocabulary(api: Api) -> None:
    header = "external_id;organisation_id;name;need_domains;access_route;cost\n"
    row = f";{ORGANISATION};Iets;financien;vrij_toegankelijk;goedkoop\n"
    response = upload(api, "editor", {"services.csv": (header + row).encode()})
    assert response.status_code == 422, response.text
    error = next(e for e in response.json()["errors"] if e["field"] == "cost")
    assert "gratis" in error["message"] and "eigen bijdrage" in error["message"] and error["row"] == 2


def test_rows_matched_on_external_id_update_instead_of_duplicating(api: Api) -> None:
    row = {"external_id": "GM0687-SHV-7", "organisation_id": ORGANISATION, "name": "Budgetcursus",
           "need_domains": ["financien"], "access_route": "vrij_toegankelijk", "waiting_days": 10}
    first = api.client.post("/api/v1/import", json={"services": [row]}, headers=api.headers("editor")).json()
    service_id = created_id(first, "services", "GM0687-SHV-7")

    again = api.client.post("/api/v1/import", json={"services": [row]}, headers=api.headers("editor")).json()
    assert again["counts"]["services"] == {"created": 0, "updated": 0, "unchanged": 1}
    csv_update = b"external_id;waiting_days\nGM0687-SHV-7;21\n"
    changed = upload(api, "editor", {"services.csv": csv_update}).json()
    assert changed["counts"]["services"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert changed["changes"][0]["id"] == service_id

    service = api.client.get(f"/api/v1/services/{service_id}", headers=api.headers("editor")).json()
    assert (service["name"], service["waiting_time"]["days"]) == ("Budgetcursus", 21)  # columns left out stay
    listed = api.client.get("/api/v1/services", params={"organisation_id": ORGANISATION, "limit": 100}).json()["items"]
    assert [s["id"] for s in listed].count(service_id) == 1 and sum(s["name"] == "Budgetcursus" for s in listed) == 1

    # An external id is one entry's: another row may not take it.
    taken = {"services": [{"id": SERVICE, "external_id": "GM0687-SHV-7"}]}
    response = api.client.post("/api/v1/import", json=taken, headers=api.headers("editor"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "external_id"


@pytest.mark.parametrize("path", ["organisations", "locations", "services", "contacts", "front-doors"])
def test_a_patch_through_the_api_keeps_the_external_id(api: Api, path: str) -> None:
    entity = path.replace("-", "_")
    target = TARGETS[path]
    imported = api.client.post("/api/v1/import", json={entity: [{"id": target, "external_id": f"EXT-{entity}"}]},
                               headers=api.headers("editor"))
    assert imported.json()["counts"][entity]["updated"] == 1, imported.text
    read = api.client.get(f"/api/v1/{path}/{target}", headers=api.headers("editor"))
    assert read.json()["external_id"] == f"EXT-{entity}"

    patch = {"note": "Gewijzigd"} if path == "front-doors" else {"name": "Gewijzigd"}
    patched = api.client.patch(f"/api/v1/{path}/{target}", json=patch,
                               headers=api.headers("editor", **{"If-Match": read.headers["ETag"]}))
    assert patched.status_code == 200, patched.text
    assert patched.json()["external_id"] == f"EXT-{entity}"


def test_a_time_without_a_zone_is_local_time(api: Api) -> None:
    # From JSON as from a spreadsheet; before, a time without a zone failed at the database.
    batch = {"services": [{"id": SERVICE, "last_verified_at": "2026-09-01T09:00:00"}]}
    assert api.client.post("/api/v1/import", json=batch, headers=api.headers("editor")).status_code == 200
    service = api.client.get(f"/api/v1/services/{SERVICE}", headers=api.headers("editor"))
    assert service.json()["last_verified_at"] == "2026-09-01T07:00:00Z"  # Amsterdam summer time
    patched = api.client.patch(f"/api/v1/services/{SERVICE}", json={"last_verified_at": "2026-12-01T09:00:00"},
                               headers=api.headers("editor", **{"If-Match": service.headers["ETag"]}))
    assert patched.status_code == 200
    again = api.client.get(f"/api/v1/services/{SERVICE}", headers=api.headers("editor"))
    assert again.json()["last_verified_at"] == "2026-12-01T08:00:00Z"


def test_imports_obey_the_scope_rules(api: Api) -> None:
    middelburg = export(api, "admin", "services", gemeente="GM0687")
    edited = b"\r\n".join(
        line.replace(b";Wmo-loket Middelburg;", b";Overgenomen door Vlissingen;") if line.startswith(SERVICE.encode()) else line
        for line in middelburg.split(b"\r\n")
    )
    assert edited != middelburg
    before = dump(api.engine)

    response = upload(api, "editor_other_gemeente", {"services.csv": edited})

    assert response.status_code == 422, response.text
    # Every row Vlissingen does not co-own is refused, unchanged ones too; the others pass.
    rows = list(csv.DictReader(io.StringIO(middelburg.decode("utf-8-sig")), delimiter=";"))
    not_shared = [n for n, row in enumerate(rows, 2) if "GM0718" not in row["owners"].split("|")]
    errors = response.json()["errors"]
    assert [e["row"] for e in errors] == not_shared and len(not_shared) < len(rows)
    assert all("owned by GM0687" in e["message"] and e["field"] == "owners" for e in errors)
    assert dump(api.engine) == before
    for who, status in {"reader": 403, "anonymous": 401, "revoked": 401}.items():
        assert upload(api, who, {"services.csv": edited}).status_code == status
    assert dump(api.engine) == before
    assert upload(api, "editor", {"services.csv": edited}).json()["counts"]["services"]["updated"] == 1


def test_the_audit_trail_lists_the_imports_writes_with_the_client(api: Api) -> None:
    batch = {"services": [
        {"id": SERVICE, "waiting_days": 4},
        {"external_id": "AUDIT-1", "organisation_id": ORGANISATION, "name": "Audit", "need_domains": ["financien"],
         "access_route": "vrij_toegankelijk"},
    ], "contacts": [{"external_id": "AUDIT-K", "name": "Anna Audit", "role": "wijkcoach", "service_id": "AUDIT-1"}]}
    headers = api.headers("editor", **{"X-On-Behalf-Of": "J. de Steward"})
    report = api.client.post("/api/v1/import", json=batch, headers=headers).json()

    trail = api.client.get("/api/v1/audit", params={"limit": 3}, headers=api.headers("admin")).json()["items"]
    assert [(e["entity_type"], e["action"]) for e in reversed(trail)] == [
        ("service", "update"), ("service", "create"), ("contact", "create")]
    assert {(e["actor"], e["on_behalf_of"]) for e in trail} == {("client:Gemeente Middelburg", "J. de Steward")}
    assert trail[2]["changes"] == {"waiting_days": [10, 4]}
    assert trail[1]["entity_id"] == created_id(report, "services", "AUDIT-1")
    assert trail[1]["gemeenten"] == ["GM0687"]


def test_the_batched_service_path_stores_what_save_service_stores(backend: Any, demo_template: str) -> None:
    from app.db import make_engine

    rows = [
        {"id": str(uuid.uuid4()), "organisation_id": ORGANISATION, "name": f"Vergelijk {n}", "need_domains": ["financien"],
         "access_route": "vrij_toegankelijk", "areas": ["WK068703"] if n else [], "description": "Hulp bij schulden",
         "eligibility": {"min_age": 18} if n % 2 else None, "location_ids": ["c1c6dbe3-fe17-4935-94ba-44958c952cc7"]}
        for n in range(5)
    ] + [seed_item("services", SERVICE) | {"access_route": "via_huisarts", "eligibility": None, "external_id": "W"}]
    dumps = []
    for batched in (True, False):
        engine = make_engine(backend.fresh_url(demo_template))
        with Session(engine) as session, session.begin():
            if batched:
                run_import(session, json_parts({"services": rows}), Actor("test"))
            else:
                for row in rows:
                    save_service(session, ServiceWrite.model_validate(row), Actor("test"))
        with Session(engine) as session:
            assert_index_as_rebuilt(session)
            assert index_rows(session, "documents") and index_rows(session, "search_card")
        with engine.connect() as connection:
            documents = connection.exec_driver_sql(
                "SELECT service_id, CAST(document AS TEXT) FROM service_search ORDER BY service_id").all()
        dumps.append((_comparable(dump(engine)), [tuple(row) for row in documents]))
        engine.dispose()
    for table in dumps[0][0]:
        assert dumps[0][0][table] == dumps[1][0][table], table
    assert dumps[0][1] == dumps[1][1]


def _comparable(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    # Timestamps differ between the runs; everything else must be the same.
    from datetime import datetime

    return {
        name: [tuple(v for v in row if not isinstance(v, datetime)) for row in rows]
        for name, rows in tables.items()
        if name not in ("api_client", "api_key")
    }


def test_the_command_line_imports_with_a_progress_bar_and_reports_bad_rows(
    writable_demo: Engine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", writable_demo.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        good = tmp_path / "diensten.csv"
        good.write_text(f"{SERVICE_HEADER}\nCLI-1;{ORGANISATION};Via de opdrachtregel;financien;vrij_toegankelijk;;2\n",
                        encoding="cp1252")
        bad = tmp_path / "services.csv"
        bad.write_text(f"{SERVICE_HEADER}\nCLI-2;{ORGANISATION};;financien;vrij_toegankelijk;;2\n")
        before = dump(writable_demo)

        refused = CliRunner().invoke(cli, ["import", str(bad)])
        assert refused.exit_code == 1 and "services.csv row 2, name:" in refused.output
        dry = CliRunner().invoke(cli, ["import", f"services={good}", "--dry-run"])
        assert dry.exit_code == 0 and "services: 1 created" in dry.output and "Dry run" in dry.output
        assert dump(writable_demo) == before

        done = CliRunner().invoke(cli, ["import", f"services={good}", "--on-behalf-of", "beheerder"])
        assert done.exit_code == 0, done.output
        with writable_demo.connect() as connection:
            actor = connection.execute(
                select(ChangeLogEntry.actor, ChangeLogEntry.on_behalf_of).order_by(ChangeLogEntry.position.desc())  # type: ignore[union-attr]
            ).first()
        assert tuple(actor) == ("cli:import", "beheerder")  # type: ignore[arg-type]
    finally:
        get_settings.cache_clear()


def test_multi_values_and_opening_times_read_back_as_written() -> None:
    assert split_values(r"a| b |c\|d||") == ["a", "b", "c|d"]
    location = LocationWrite.model_validate({
        "name": "Proef", "lat": 51.5, "lon": 3.6,
        "opening_hours": [{"weekday": 6, "opens": "10:00", "closes": "12:15:30"}],
        "exceptions": [{"date": "2026-12-31", "opens": "09:00", "closes": "13:00", "note": "Oud | nieuw \\ feest"},
                       {"date": "2027-01-01"}],
    })
    cells = write_row("locations", location, decimal_comma=True)
    columns, problems = header_columns("locations", [column.name for column in LAYOUTS["locations"]])
    patch, cell_problems = row_patch("locations", columns, cells)
    assert problems == cell_problems == []
    assert LocationWrite.model_validate(patch) == location
    _, bad = row_patch("locations", columns[-3:-1], ["zondag vroeg", "31-12-2026 open"])
    assert [name for name, _ in bad] == ["opening_hours", "exceptions"]


@pytest.mark.parametrize("dry_run", [False, True])
def test_every_bad_field_of_every_bad_row_is_reported_and_nothing_written(api: Api, dry_run: bool) -> None:
    # A cell that cannot be read (month 13) in a row with a new external_id, next to fields
    # the schema or a reference refuses: the steward learns all of them in one try.
    services = (
        f"{SERVICE_HEADER};waiting_reported_on\r\n"
        f"NEW-1;{ORGANISATION};Spreekuur;financien;vrij_toegankelijk;WK068703;-3;1-13-2026\r\n"
        "NEW-2;NO-SUCH-ORG;;financien;vrij_toegankelijk;WK068703;14;2026-13-01\r\n"
        f"NEW-3;{ORGANISATION};Goed;financien;vrij_toegankelijk;WK068703;14;2026-11-01\r\n"
        f"{SERVICE};{ORGANISATION};Gewijzigd;financien;vrij_toegankelijk;WK068703;-1;31-02-2026\r\n"
    ).encode()
    before = dump(api.engine)

    response = upload(api, "editor", {"services.csv": services}, dry_run=dry_run)

    assert response.status_code == 422, response.text
    reported = {(error["row"], error["field"]) for error in response.json()["errors"]}
    assert reported == {
        (2, "waiting_reported_on"), (2, "waiting_days"),
        (3, "waiting_reported_on"), (3, "organisation_id"), (3, "name"),
        (5, "waiting_reported_on"), (5, "waiting_days"),
    }
    assert dump(api.engine) == before


def test_a_write_during_a_dry_run_goes_through(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # The dry run is held halfway, after it wrote its first rows, until the other write is answered.
    halfway, answered = threading.Event(), threading.Event()
    apply_chunk = import_service._apply_chunk

    def held(*args: Any) -> None:
        apply_chunk(*args)
        halfway.set()
        answered.wait(120)

    monkeypatch.setattr(import_service, "_apply_chunk", held)
    services = f"{SERVICE_HEADER}\nNEW-1;{ORGANISATION};Spreekuur;financien;vrij_toegankelijk;WK068703;3\n".encode()
    path = f"/api/v1/services/{SERVICE}"
    with ThreadPoolExecutor(1) as pool:
        dry_run = pool.submit(upload, api, "editor", {"services.csv": services}, dry_run=True)
        try:
            assert halfway.wait(60)
            etag = api.client.get(path, headers=api.headers("editor")).headers["ETag"]
            written = api.client.patch(path, json={"waiting_days": 5}, headers=api.headers("editor", **{"If-Match": etag}))
        finally:
            answered.set()
        report = dry_run.result(120)

    assert written.status_code == 200, written.text  # not a 503 after waiting for the dry run's lock
    assert report.status_code == 200, report.text
    assert report.json()["dry_run"] and report.json()["counts"]["services"]["created"] == 1
    assert api.client.get(path).json()["waiting_time"]["days"] == 5
    assert "NEW-1" not in export(api, "admin", "services").decode("utf-8-sig")
