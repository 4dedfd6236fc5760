"""The demo region: real places, an invented catalogue that covers what a POH needs."""

from collections import Counter

from sqlmodel import Session, func, select

from app.areas.models import Area, Postcode4, Postcode4Buurt
from app.changelog.models import ChangeLogEntry
from app.clock import local_today
from app.contacts.models import Contact
from app.contacts.service import is_current
from app.demo import load_demo
from app.front_doors.models import FrontDoor
from app.locations.models import OpeningException
from app.services.models import Eligibility, Service, ServiceNeedDomain, ServiceOwner
from app.taxonomy.vocabulary import AccessRoute, StatutoryRoute

REGION = {"GM0687", "GM0717", "GM0718"}


def test_seeding_again_changes_nothing(demo_engine) -> None:
    with Session(demo_engine) as session:
        log_before = session.exec(select(func.count()).select_from(ChangeLogEntry)).one()
    with Session(demo_engine) as session, session.begin():
        changed = load_demo(session)
    assert sum(changed.values()) == 0, changed
    with Session(demo_engine) as session:
        assert session.exec(select(func.count()).select_from(ChangeLogEntry)).one() == log_before


def test_the_change_log_holds_every_seeded_entry_once(demo_engine) -> None:
    with Session(demo_engine) as session:
        entries = session.exec(select(ChangeLogEntry)).all()
        per_type = Counter(entry.entity_type for entry in entries)
        assert per_type["service"] == session.exec(select(func.count()).select_from(Service)).one()
        assert per_type["contact"] == session.exec(select(func.count()).select_from(Contact)).one()
        assert per_type["area"] == session.exec(select(func.count()).select_from(Area)).one()
        assert {entry.actor for entry in entries} == {"seed:demo"}
        assert all(entry.operation == "upsert" and entry.version == 1 for entry in entries)


def test_the_region_is_the_real_walcheren(demo_engine) -> None:
    with Session(demo_engine) as session:
        gemeenten = session.exec(select(Area).where(Area.kind == "gemeente")).all()
        assert {g.code: g.name for g in gemeenten} == {"GM0687": "Middelburg", "GM0717": "Veere", "GM0718": "Vlissingen"}
        binnenstad = session.get(Area, "BU06870000")
        assert binnenstad is not None and binnenstad.name == "Binnenstad" and binnenstad.parent_code == "WK068700"
        pc4 = session.get(Postcode4, "4331")
        assert pc4 is not None and pc4.gemeente_code == "GM0687"
        assert round(pc4.lat, 3) == 51.499 and round(pc4.lon, 3) == 3.614
        # Every residential PC4 of the region reaches at least one buurt.
        residential = session.exec(select(Postcode4.pc4).where(Postcode4.kind != "po_box")).all()
        linked = set(session.exec(select(Postcode4Buurt.pc4)).all())
        assert set(residential) <= linked


def test_the_catalogue_covers_every_domain_route_and_rule(demo_engine) -> None:
    with Session(demo_engine) as session:
        services = session.exec(select(Service)).all()
        assert len(services) >= 40
        assert {s.access_route for s in services} == set(AccessRoute)
        assert len(set(session.exec(select(ServiceNeedDomain.domain_code)).all())) == 13
        owners = Counter(session.exec(select(ServiceOwner.service_id)).all())
        assert sum(1 for count in owners.values() if count == 3) >= 1, "regional services owned by all three"
        rules = session.exec(select(Eligibility)).all()
        assert any(r.min_age is not None or r.max_age is not None for r in rules)
        assert any(r.max_income_pct_social_minimum is not None for r in rules)
        assert session.exec(select(OpeningException).where(OpeningException.opens.is_(None))).first()


def test_contacts_include_expired_one_buurt_and_a_general_one_per_service(demo_engine) -> None:
    today = local_today()
    with Session(demo_engine) as session:
        contacts = session.exec(select(Contact)).all()
        assert len(contacts) >= 60
        assert any(not is_current(c, today) and c.valid_until and c.valid_until < today for c in contacts)
        services = session.exec(select(Service.id)).all()
        general = Counter(c.service_id for c in contacts if c.is_general and is_current(c, today))
        assert all(general[service_id] == 1 for service_id in services)


def test_front_doors_for_every_gemeente_and_statutory_route(demo_engine) -> None:
    with Session(demo_engine) as session:
        doors = session.exec(select(FrontDoor)).all()
    covered = {(d.area_code, d.topic) for d in doors}
    for gemeente in REGION:
        assert all((gemeente, route.value) in covered for route in StatutoryRoute)
    assert any(d.area_code.startswith("WK") for d in doors)
