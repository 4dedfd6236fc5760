"""Plain functions that make test data through the real save paths."""

import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from sqlmodel import Session

from app.areas.models import Postcode4Buurt, Postcode6
from app.areas.service import save_area, save_postcode4
from app.client_admin.schemas import ClientWrite
from app.client_admin.service import create_client, revoke_key
from app.clients.scope import Actor
from app.contacts.schemas import ContactWrite
from app.contacts.service import erase_contact, save_contact
from app.imports.service import json_parts, run_import
from app.locations.schemas import LocationWrite, OpeningExceptionIn, OpeningInterval
from app.locations.service import save_location
from app.maintenance import service as maintenance
from app.maintenance.kinds import LOCATION, SERVICE
from app.organisations.schemas import OrganisationWrite
from app.organisations.service import save_organisation
from app.search.index import writer
from app.services.schemas import ServiceWrite
from app.services.service import save_service

ACTOR = Actor("test")
GEMEENTE, WIJK, BUURT, OTHER_BUURT = "GM9901", "WK990101", "BU99010101", "BU99010102"


def make_region(session: Session) -> None:
    """A made-up gemeente with one wijk, two buurten, a residential PC4 with a PC6, and a postbus PC4."""
    save_area(session, {"code": GEMEENTE, "kind": "gemeente", "name": "Proefstad", "parent_code": None,
                        "lat": 51.5, "lon": 3.6}, ACTOR)
    save_area(session, {"code": WIJK, "kind": "wijk", "name": "Proefwijk", "parent_code": GEMEENTE,
                        "lat": 51.5, "lon": 3.6}, ACTOR)
    for code, name, lon in ((BUURT, "Proefbuurt", 3.6), (OTHER_BUURT, "Andere Proefbuurt", 3.62)):
        save_area(session, {"code": code, "kind": "buurt", "name": name, "parent_code": WIJK,
                            "lat": 51.5, "lon": lon}, ACTOR)
    save_postcode4(session, {"pc4": "9901", "place": "Proefstad", "gemeente_code": GEMEENTE,
                             "lat": 51.5, "lon": 3.61, "kind": "address"}, ACTOR)
    save_postcode4(session, {"pc4": "9900", "place": "Proefstad", "gemeente_code": GEMEENTE,
                             "lat": 51.5, "lon": 3.61, "kind": "po_box"}, ACTOR)
    session.add(Postcode4Buurt(pc4="9901", buurt_code=BUURT))
    session.add(Postcode4Buurt(pc4="9901", buurt_code=OTHER_BUURT))
    session.add(Postcode6(pc6="9901AB", pc4="9901", buurt_code=OTHER_BUURT, lat=51.501, lon=3.62))
    session.flush()


def make_organisation(session: Session, **fields: Any) -> uuid.UUID:
    data = {"name": "Stichting Proef", "owners": [GEMEENTE], **fields}
    organisation, _ = save_organisation(session, OrganisationWrite.model_validate(data), ACTOR)
    return organisation.id


def make_service(session: Session, organisation_id: uuid.UUID, **fields: Any) -> uuid.UUID:
    data = {"organisation_id": organisation_id, "name": "Proefhulp", "need_domains": ["financien"],
            "access_route": "vrij_toegankelijk", **fields}
    service, _ = save_service(session, ServiceWrite.model_validate(data), ACTOR)
    return service.id


def make_contact(session: Session, service_id: uuid.UUID, **fields: Any) -> uuid.UUID:
    data = {"service_id": service_id, "name": "Fenna Fictief", "role": "wijkcoach",
            "phone": "06 12345678", "email": "fenna@proef.example", "valid_from": date(2020, 1, 1), **fields}
    contact, _ = save_contact(session, ContactWrite.model_validate(data), ACTOR)
    return contact.id


def make_key(
    session: Session, name: str, role: str, gemeenten: tuple[str, ...] = (), organisations: tuple[str, ...] = (),
    *, expires_at: datetime | None = None, revoked: bool = False,
) -> str:
    """An API client with one key; returns the key."""
    data = ClientWrite(name=name, role=role, gemeenten=list(gemeenten), organisations=list(organisations))
    created = create_client(session, data, expires_at)
    if revoked:
        revoke_key(session, created.id, created.keys[0].id)
    return created.key


def index_rows(session: Session, table: str) -> set[Any]:
    """What one table of the search index holds."""
    return writer.contents(session)[table]


def assert_index_as_rebuilt(session: Session) -> None:
    """The search index as the writes kept it equals the index rebuilt from the catalogue
    (in a savepoint rolled back afterwards)."""
    kept = writer.contents(session)
    savepoint = session.begin_nested()
    writer.rebuild(session)
    rebuilt = writer.contents(session)
    savepoint.rollback()
    assert kept == rebuilt, {table: (kept[table] ^ rebuilt[table]) for table in kept if kept[table] != rebuilt[table]}


def make_place(session: Session, name: str, lat: float, location_id: uuid.UUID | None = None, **fields: Any) -> uuid.UUID:
    location, _ = save_location(session, LocationWrite(id=location_id, name=name, lat=lat, lon=3.61, **fields), ACTOR)
    return location.id


class CatalogueWrites:
    """A region with two locations and two services (one with an area, one anywhere), and
    `writes`: one of each kind of write that changes what the search derives or reads, to
    make one by one."""

    def __init__(self, session: Session) -> None:
        make_region(session)
        organisation = make_organisation(session, name="Stichting Kompas")
        near = make_place(session, "Dichtbij", 51.50,
                          opening_hours=[OpeningInterval(weekday=0, opens=time(9), closes=time(12))])
        far = make_place(session, "Ver weg", 51.60)
        helps = make_service(session, organisation, name="Schuldhulp", areas=[GEMEENTE], location_ids=[near])
        anywhere = make_service(session, organisation, name="Telefonische hulplijn", need_domains=["sociaal_netwerk"])
        self.near, self.anywhere = near, anywhere
        self.writes: list[Callable[[], object]] = [
            # a service's areas, need domains, location links and words
            lambda: make_service(session, organisation, id=helps, name="Schuldhulp", areas=[WIJK, BUURT],
                                 need_domains=["financien", "huisvesting"], location_ids=[near, far]),
            lambda: make_service(session, organisation, id=helps, name="Geldzaken op orde", description="Budgetcoach",
                                 areas=[], location_ids=[far]),
            lambda: make_service(session, organisation, id=anywhere, name="Hulplijn", location_ids=[near]),
            # a location moved, its hours changed, another unlinked and deleted
            lambda: make_place(session, "Dichtbij", 51.70, near, exceptions=[OpeningExceptionIn(date=date(2026, 12, 25))]),
            lambda: make_service(session, organisation, id=helps, name="Geldzaken op orde", areas=[GEMEENTE]),
            lambda: maintenance.delete(session, LOCATION, far, None, ACTOR),
            # contacts: made, changed, erased
            lambda: make_contact(session, helps),
            lambda: make_contact(session, helps, id=make_contact(session, helps), role="schuldhulpverlener"),
            lambda: erase_contact(session, make_contact(session, helps, name="Wim Weg"), ACTOR),
            # the organisation's name is in its services' cards and documents
            lambda: make_organisation(session, id=organisation, name="Stichting Zonnebloem"),
            # a deleted service
            lambda: maintenance.delete(session, SERVICE, anywhere, None, ACTOR),
            # the bulk import: a new service and one changed
            lambda: run_import(session, json_parts({"services": [
                {"organisation_id": str(organisation), "name": "Taalcafé", "need_domains": ["werk_opleiding"],
                 "access_route": "vrij_toegankelijk", "areas": [BUURT], "location_ids": [str(near)]},
                {"id": str(helps), "organisation_id": str(organisation), "name": "Geldzaken",
                 "need_domains": ["financien"], "access_route": "vrij_toegankelijk", "areas": [], "location_ids": []},
            ]}), ACTOR),
        ]
