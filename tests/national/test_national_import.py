"""`wijkkaart areas import`: the national CBS and PC4 files, re-division, and the PC6 table."""

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.areas.models import Area, Postcode4, Postcode4Buurt, Postcode6
from app.areas.service import resolve_postcode
from app.changelog.models import ChangeLogEntry
from app.contacts.models import Contact
from app.contacts.service import CONTACT_LOAD
from app.db import make_engine
from app.errors import InvalidInput
from app.front_doors.models import FrontDoor
from app.front_doors.schemas import FrontDoorWrite
from app.front_doors.service import save_front_door
from app.main import create_app
from app.national.importer import ImportSummary, import_areas
from app.national.locate import RETIRED_WITHOUT_SUCCESSOR
from app.national.sources import read_source
from app.services.models import Service
from app.services.service import SERVICE_LOAD
from tests.support.factories import ACTOR, make_contact, make_key, make_organisation, make_region, make_service

DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
OLD_FILES = ("cbs_gemeente_2015_labelpoints.csv", "cbs_wijk_2014_labelpoints.csv", "cbs_buurt_2014_labelpoints.csv",
             "pc4_4pp_bobdenotter.csv")
GEMEENTEN_2025 = "gemeenten_2025_cbs_bagparser.csv"
# Land van Cuijk (2022): Boxmeer, Cuijk, Grave, Sint Anthonis and Mill en Sint Hubert.
LAND_VAN_CUIJK = "GM1982"
MERGED = ("GM0756", "GM1684", "GM0786", "GM1702", "GM0815")
BOXMEER, CUIJK, GRAVE, SINT_ANTHONIS = MERGED[:4]

needs_data = pytest.mark.skipif(not DATA_DIR.is_dir(), reason=f"the shared reference data is absent ({DATA_DIR})")


def _import(url: str, paths: list[Path]) -> ImportSummary:
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            return import_areas(session, paths)
    finally:
        engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it


@pytest.fixture(scope="session")
def national(backend) -> tuple[str, ImportSummary]:
    """A database with every shared file imported (2015 and 2025 gemeenten), and the summary."""
    if not DATA_DIR.is_dir():
        pytest.skip(f"the shared reference data is absent ({DATA_DIR})")
    url = backend.fresh_url()
    return url, _import(url, [DATA_DIR])


@pytest.fixture(scope="session")
def before_merger(backend) -> str:
    """A database with the 2015 gemeenten, 2014 wijken and buurten and the PC4s: the time before Land van Cuijk."""
    if not DATA_DIR.is_dir():
        pytest.skip(f"the shared reference data is absent ({DATA_DIR})")
    url = backend.fresh_url()
    _import(url, [DATA_DIR / name for name in OLD_FILES])
    return url


@pytest.fixture
def copy_of(backend) -> Iterator:
    engines: list[Engine] = []

    def copy(template: str) -> Engine:
        engines.append(make_engine(backend.fresh_url(template)))
        return engines[-1]

    yield copy
    for engine in engines:
        engine.dispose()


def _residential_pc4s() -> list[str]:
    with (DATA_DIR / "pc4_4pp_bobdenotter.csv").open(encoding="utf-8") as handle:
        return [row["postcode"] for row in csv.DictReader(handle) if row["soort"] != "Postbus"]


@needs_data
def test_the_national_files_are_imported_and_the_gaps_explained(national) -> None:
    _, summary = national
    counts = summary.counts
    # 393 gemeenten of 2015 and the 21 that are new by 2025; 72 of 2015 are gone by 2025 (414 - 342).
    assert (counts["gemeente"].added, counts["gemeente"].retired) == (414, 72)
    # All but the 47 wijken and 204 buurten of gemeenten missing from the 2015 list (see the data README).
    assert (counts["wijk"].added, counts["buurt"].added) == (2746 - 47, 12005 - 204)
    assert counts["postcode4"].added == 4699
    assert len(summary.unresolved["cbs_buurt_2014_labelpoints.csv: its wijk WK… is in no imported list"]) == 204
    # Without a successor list, PC4s of merged gemeenten resolve to the retired gemeente, and the summary says so.
    assert set(summary.unresolved_pc4s()) == {f"PC4: {RETIRED_WITHOUT_SUCCESSOR}"}
    assert "5831" in summary.unresolved_pc4s()[f"PC4: {RETIRED_WITHOUT_SUCCESSOR}"]  # Boxmeer


@needs_data
def test_every_residential_pc4_resolves_to_a_point_and_a_gemeente(national, copy_of) -> None:
    url, summary = national
    engine = copy_of(url)
    with Session(engine) as session:
        retired = set(session.exec(select(Area.code).where(Area.kind == "gemeente", Area.retired_year.is_not(None))).all())  # type: ignore[union-attr]
    on_retired = []
    pc4s = _residential_pc4s()
    # Every PC4 through the function behind the endpoint, every tenth through HTTP as well.
    with Session(engine) as session:
        for pc4 in pc4s:
            place = resolve_postcode(session, pc4)
            assert place.gemeente is not None, pc4
            if place.gemeente.code in retired:
                on_retired.append(pc4)
    with TestClient(create_app(engine)) as client:
        for pc4 in pc4s[::10]:
            response = client.get(f"/api/v1/postcodes/{pc4}")
            assert response.status_code == 200, (pc4, response.text)
            body = response.json()
            assert body["lat"] is not None and body["lon"] is not None and body["gemeente"], pc4
        middelburg = client.get("/api/v1/postcodes/4331").json()
        assert middelburg["gemeente"]["code"] == "GM0687"
        assert (round(middelburg["lat"], 4), round(middelburg["lon"], 4)) == (51.4989, 3.6136)
        assert middelburg["buurten"], "PC4s are linked to buurten from points"
        for pc4, gemeente in (("1012", "GM0363"), ("9711", "GM0014"), ("2511", "GM0518")):
            assert client.get(f"/api/v1/postcodes/{pc4}").json()["gemeente"]["code"] == gemeente
        assert client.get("/api/v1/postcodes/1000").status_code == 422  # a postbus-only PC4
    assert on_retired == summary.unresolved_pc4s()[f"PC4: {RETIRED_WITHOUT_SUCCESSOR}"]


@needs_data
def test_importing_again_changes_nothing(national, copy_of) -> None:
    engine = copy_of(national[0])
    with Session(engine) as session:
        logged = session.exec(select(func.count()).select_from(ChangeLogEntry)).one()
    with Session(engine) as session, session.begin():
        again = import_areas(session, [DATA_DIR])
    assert (again.added, again.changed, again.retired) == (0, 0, 0)
    assert again.unresolved == national[1].unresolved
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ChangeLogEntry)).one() == logged


def _catalogue_in_land_van_cuijk(engine: Engine) -> dict[str, object]:
    """A service for Boxmeer and Cuijk, its contact covering Grave, a front door in Sint Anthonis."""
    with Session(engine) as session, session.begin():
        organisation = make_organisation(session, name="Stichting Maasland", owners=[BOXMEER])
        service = make_service(session, organisation, name="Schuldhulp Maasland", areas=[BOXMEER, CUIJK])
        contact = make_contact(session, service, areas=[GRAVE])
        door, _ = save_front_door(session, FrontDoorWrite(
            area_code=SINT_ANTHONIS, topic="financien", service_id=service, contact_id=contact), ACTOR)
        return {"organisation": organisation, "service": service, "contact": contact, "door": door.id}


def _search_finds(client: TestClient, postcode: str, name: str) -> bool:
    items = client.get("/api/v1/search", params={"postcode": postcode, "limit": 100}).json()["items"]
    return any(item["service"]["name"] == name for item in items)


@needs_data
def test_a_redivision_with_successors_repoints_the_catalogue(before_merger, copy_of, tmp_path) -> None:
    engine = copy_of(before_merger)
    ids = _catalogue_in_land_van_cuijk(engine)
    with TestClient(create_app(engine)) as client:
        assert _search_finds(client, "5831", "Schuldhulp Maasland")  # Boxmeer
    successors = tmp_path / "herindeling.csv"
    successors.write_text("old_code,new_code,year\n" + "".join(f"{old},{LAND_VAN_CUIJK},2022\n" for old in MERGED))
    with Session(engine) as session, session.begin():
        summary = import_areas(session, [DATA_DIR / GEMEENTEN_2025, successors])
    assert [(r.name, r.before, r.after) for r in summary.redivision.services] == [
        ("Schuldhulp Maasland", [BOXMEER, CUIJK], [LAND_VAN_CUIJK]),
    ]
    assert {r.entity_type for r in summary.redivision.repointed} == {"service", "organisation", "contact", "front_door"}
    assert summary.redivision.maintenance == [] and summary.redivision.conflicts == []
    with Session(engine) as session:
        service = session.get(Service, ids["service"], options=SERVICE_LOAD)
        assert service and sorted(a.area_code for a in service.areas) == [LAND_VAN_CUIJK]
        assert sorted(o.gemeente_code for o in service.owners) == [LAND_VAN_CUIJK]
        contact = session.get(Contact, ids["contact"], options=CONTACT_LOAD)
        assert contact and [a.area_code for a in contact.areas] == [LAND_VAN_CUIJK]
        door = session.get(FrontDoor, ids["door"])
        assert door and door.area_code == LAND_VAN_CUIJK
        boxmeer, new = session.get(Area, BOXMEER), session.get(Area, LAND_VAN_CUIJK)
        assert boxmeer and (boxmeer.retired_year, boxmeer.successor_codes) == (2022, [LAND_VAN_CUIJK])
        assert new and new.lat is not None, "a new gemeente gets its predecessors' middle as its point"
        assert session.get(Postcode4, "5831").gemeente_code == LAND_VAN_CUIJK  # type: ignore[union-attr]
        # The re-pointing is in the change feed, written by the importing system actor.
        entry = session.exec(select(ChangeLogEntry).where(ChangeLogEntry.entity_id == str(ids["service"]))
                             .order_by(ChangeLogEntry.position.desc())).first()  # type: ignore[attr-defined]
        assert entry and entry.actor == "cli:areas-import" and entry.version == 2
    with TestClient(create_app(engine)) as client:
        assert _search_finds(client, "5831", "Schuldhulp Maasland")
        assert client.get("/api/v1/postcodes/5831").json()["gemeente"]["code"] == LAND_VAN_CUIJK
    with Session(engine) as session, session.begin():
        again = import_areas(session, [DATA_DIR / GEMEENTEN_2025, successors])
    assert (again.added, again.changed, again.retired, again.redivision.repointed) == (0, 0, 0, [])


@needs_data
def test_without_successors_entries_on_retired_areas_are_maintenance_work(before_merger, copy_of) -> None:
    engine = copy_of(before_merger)
    ids = _catalogue_in_land_van_cuijk(engine)
    with Session(engine) as session, session.begin():
        admin = make_key(session, "Beheer", "admin")
        summary = import_areas(session, [DATA_DIR / GEMEENTEN_2025])
    assert summary.redivision.repointed == []
    listed = {(use.entity_type, use.area_code) for use in summary.redivision.maintenance}
    assert listed == {("service", BOXMEER), ("service", CUIJK), ("contact", GRAVE), ("front_door", SINT_ANTHONIS)}
    with TestClient(create_app(engine)) as client:
        report = client.get("/api/v1/maintenance/stale", headers={"Authorization": f"Bearer {admin}"}).json()
        assert {(u["entity_type"], u["id"]) for u in report["retired_area_uses"]} >= {
            ("service", str(ids["service"])), ("contact", str(ids["contact"])), ("front_door", str(ids["door"])),
        }
        assert _search_finds(client, "5831", "Schuldhulp Maasland")


def test_the_pc6_table_gives_exact_buurten(session, tmp_path) -> None:
    make_region(session)  # GM9901 with buurten BU99010101 and BU99010102, PC4 9901
    session.commit()
    table = tmp_path / "pc6hnr20240801_gwb.csv"
    table.write_text(
        "PC6;Huisnummer;Buurt2024;Wijk2024;Gemeente2024\n"
        "9901AB;1;99010101;990101;9901\n9901AB;3;99010101;990101;9901\n9901AB;5;99010102;990101;9901\n"
        "9901AC;2;99010102;990101;9901\n"
        "9902AA;1;99020101;990201;9902\n"  # a PC4 no list has
        "9901AD;1;99019999;990199;9901\n"  # a buurt not imported
    )
    with session.begin():
        summary = import_areas(session, [table])
    # 9901AB had a row (in BU99010102) that the table corrects; 9901AC is new.
    assert (summary.counts["postcode6"].added, summary.counts["postcode6"].changed) == (1, 1)
    assert summary.unresolved == {
        "pc6hnr20240801_gwb.csv: PC6 of a PC4 not in any PC4 list": ["9902AA"],
        "pc6hnr20240801_gwb.csv: buurt not among the areas (import the buurten of 2024)": ["9901AD"],
    }
    with session.begin():
        # The buurt most of its addresses lie in; the PC4's links become exact.
        assert session.get(Postcode6, "9901AB").buurt_code == "BU99010101"  # type: ignore[union-attr]
        links = session.exec(select(Postcode4Buurt).where(Postcode4Buurt.pc4 == "9901")).all()
        assert sorted((link.buurt_code, link.approximate) for link in links) == [
            ("BU99010101", False), ("BU99010102", False),
        ]
        assert [b.code for b in resolve_postcode(session, "9901 ac").buurten] == ["BU99010102"]
    with session.begin():
        again = import_areas(session, [table])
    assert (again.added, again.changed) == (0, 0)


def test_files_are_recognised_by_their_header(tmp_path) -> None:
    gemeenten = tmp_path / "gemeenten.csv"
    gemeenten.write_text("Gemeentecode;GemeentecodeGM;Gemeentenaam;Provinciecode;ProvinciecodePV;Provincienaam\n"
                         "0687;GM0687;Middelburg (Z.);29;PV29;Zeeland\n")
    with pytest.raises(InvalidInput, match="pass --year"):
        read_source(gemeenten)
    [listed] = read_source(gemeenten, year=2024)
    assert (listed.kind, listed.year, listed.rows[0].code, listed.rows[0].province) == ("gemeente", 2024, "GM0687", "zeeland")
    successors = tmp_path / "herindeling_2022.csv"
    successors.write_text("oude_code;nieuwe_code;jaar\n0756;1982;2022\n")
    [listed] = read_source(successors)
    assert (listed.rows[0].old_code, listed.rows[0].new_code, listed.rows[0].year) == ("GM0756", "GM1982", 2022)
    other = tmp_path / "services.csv"
    other.write_text("name,description\nx,y\n")
    with pytest.raises(InvalidInput, match="not a known area or postcode layout"):
        read_source(other)
