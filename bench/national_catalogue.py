"""A made-up national catalogue on real areas: organisations, locations, services, contacts.

Bulk-inserted with SQLAlchemy Core (the save paths would take hours at 200,000 services),
but shaped like what those paths write: the search documents are stemmed by the app's
own stem_words and stored by the app's own dialect functions, and build() checks a sample
against the search index's own (app/search/index/documents.py); the index writes the rest
(bench/national_data.py).
"""

import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session

from app import dialect
from app.areas.models import Area
from app.contacts.models import Contact, ContactArea
from app.dialect import fulltext
from app.locations.models import Location, OpeningException, OpeningHours
from app.organisations.models import Organisation, OrganisationOwner
from app.search.text import stem_words
from app.services.models import (
    Eligibility,
    Service,
    ServiceArea,
    ServiceLocation,
    ServiceNeedDomain,
    ServiceOwner,
    ServiceTargetGroup,
)
from app.taxonomy.models import NeedDomain

BATCH = 20_000
CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Share of services per kind of service area; "none" are open to anyone (matched by radius).
SCOPES = (("buurt", 0.20), ("wijk", 0.25), ("gemeente", 0.30), ("none", 0.25))
# name, description, need domains, access route. {p} is the place (area or gemeente name).
TEMPLATES = [
    ("Schuldhulpverlening {p}", "Gratis hulp bij problematische schulden en betalingsachterstanden voor inwoners van {p}.",
     ["financien"], "vrij_toegankelijk"),
    ("Budgetcoach {p}", "Een vrijwillige budgetcoach helpt thuis met de administratie, rekeningen en toeslagen.",
     ["financien", "instrumentele_adl"], "via_wijkteam"),
    ("Bijzondere bijstand {p}", "Vergoeding voor noodzakelijke kosten die u zelf niet kunt betalen.",
     ["financien"], "vrij_toegankelijk"),
    ("Sociaal wijkteam {p}", "Het wijkteam helpt bij vragen over geld, wonen, opvoeden, relaties en gezondheid.",
     ["financien", "huisvesting", "huiselijke_relaties", "sociaal_netwerk"], "vrij_toegankelijk"),
    ("Maatjesproject {p}", "Een vrijwillig maatje komt wekelijks langs voor wie eenzaam is of weinig contacten heeft.",
     ["sociaal_netwerk"], "vrij_toegankelijk"),
    ("Ouderenadviseur {p}", "Huisbezoek en advies voor ouderen over wonen, zorg, eenzaamheid en financien.",
     ["sociaal_netwerk", "instrumentele_adl"], "vrij_toegankelijk"),
    ("Welzijn op Recept {p}", "De huisarts verwijst naar een welzijnscoach bij klachten met een sociale oorzaak.",
     ["sociaal_netwerk", "tijdsbesteding", "geestelijke_gezondheid"], "via_huisarts"),
    ("Buurthuis {p}", "Inloop, koffie, activiteiten en cursussen voor alle buurtbewoners; samen eten op vrijdag.",
     ["tijdsbesteding", "sociaal_netwerk"], "vrij_toegankelijk"),
    ("Mantelzorgsteunpunt {p}", "Advies, lotgenotencontact en respijtzorg voor mantelzorgers.",
     ["sociaal_netwerk", "geestelijke_gezondheid"], "vrij_toegankelijk"),
    ("Wmo-loket {p}", "Eerste aanspreekpunt voor hulp om zelfstandig te blijven wonen: huishoudelijke hulp, vervoer.",
     ["basale_adl", "instrumentele_adl", "lichamelijke_gezondheid"], "vrij_toegankelijk"),
    ("Huishoudelijke ondersteuning {p}", "Hulp bij het schoonhouden van het huis bij ziekte of beperking.",
     ["instrumentele_adl"], "met_beschikking"),
    ("GGZ-inloop {p}", "Vrij toegankelijke inloop bij psychische klachten, somberheid of eenzaamheid.",
     ["geestelijke_gezondheid", "sociaal_netwerk"], "vrij_toegankelijk"),
    ("Praktijkondersteuner jeugd {p}", "Spreekuur in de huisartsenpraktijk voor kinderen en jongeren met klachten.",
     ["geestelijke_gezondheid", "huiselijke_relaties"], "via_huisarts"),
    ("Opvoedsteunpunt {p}", "Hulp voor ouders met vragen over opvoeden en opgroeien; oudercursussen.",
     ["huiselijke_relaties"], "vrij_toegankelijk"),
    ("Taalhuis {p}", "Taalcoaches en cursussen lezen, schrijven en digitale vaardigheden voor laaggeletterden.",
     ["maatschappelijke_participatie", "werk_opleiding"], "vrij_toegankelijk"),
    ("Werkplein {p}", "Begeleiding naar werk, sollicitatietraining en een uitkering volgens de Participatiewet.",
     ["werk_opleiding", "financien"], "vrij_toegankelijk"),
    ("Dagbesteding {p}", "Zinvolle dagbesteding en vrijwilligerswerk met begeleiding.",
     ["tijdsbesteding", "maatschappelijke_participatie"], "met_beschikking"),
    ("Woonbegeleiding {p}", "Begeleiding bij zelfstandig wonen, huurachterstand en het voorkomen van huisuitzetting.",
     ["huisvesting", "financien"], "via_wijkteam"),
    ("Verslavingszorg {p}", "Behandeling bij problemen met alcohol, drugs, gokken of gamen.",
     ["middelengebruik", "geestelijke_gezondheid"], "via_huisarts"),
    ("Veilig Thuis {p}", "Advies en melding bij huiselijk geweld en kindermishandeling, dag en nacht.",
     ["huiselijke_relaties", "justitie"], "vrij_toegankelijk"),
    ("Beweegcoach {p}", "Samen bewegen en gezond leven: wandelgroepen en sport voor wie weinig beweegt.",
     ["lichamelijke_gezondheid", "tijdsbesteding"], "vrij_toegankelijk"),
    ("Voedselbank {p}", "Wekelijks een voedselpakket voor huishoudens met een inkomen onder de grens.",
     ["financien", "basale_adl"], "via_wijkteam"),
]
GROUPS = ["jeugd", "jongvolwassenen", "ouders", "ouderen", "mantelzorgers", "statushouders", "ex_gedetineerden",
          "laaggeletterden", "mensen_met_beperking", "dak_en_thuislozen"]
ORG_KINDS = ["Stichting Welzijn", "Wijkteams", "Stichting Sociaal", "Vereniging Samen", "Zorggroep", "Stichting Hulp"]
FIRST = ["Fenna", "Joost", "Sanne", "Ahmed", "Lieke", "Bram", "Yara", "Daan", "Noor", "Koen", "Fatima", "Ruud"]
LAST = ["Fictief", "de Verzonnen", "Bedacht", "van Denkbeeld", "Proef", "Voorbeeld", "Onecht", "Schijn"]
ROLES = ["wijkcoach", "schuldhulpverlener", "welzijnscoach", "Wmo-consulent", "ouderenadviseur", "jeugdconsulent"]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """As the app's bulk import inserts (COPY on PostgreSQL): a statement per batch."""
    table: Table = model.__table__
    for start in range(0, len(rows), BATCH):
        dialect.insert_rows(session, table, rows[start:start + BATCH])


def _hours(rng: random.Random, location_id: uuid.UUID) -> Iterator[dict[str, Any]]:
    pattern = rng.random()
    if pattern < 0.7:
        days, slots = range(5), ((time(9), time(12, 30)), (time(13, 30), time(17)))
    elif pattern < 0.85:
        days, slots = (0, 2, 4), ((time(9), time(12)),)
    else:
        return
    for day in days:
        for opens, closes in slots:
            yield {"location_id": location_id, "weekday": day, "opens": opens, "closes": closes}


class _Areas:
    """The loaded areas, grouped for picking places."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(select(Area.code, Area.kind, Area.name, Area.parent_code, Area.lat, Area.lon)).all()
        self.by_code = {r.code: r for r in rows}
        self.wijken: defaultdict[str, list[Any]] = defaultdict(list)
        self.buurten: defaultdict[str, list[Any]] = defaultdict(list)
        for r in rows:
            if r.kind == "wijk":
                self.wijken[r.parent_code].append(r)
            elif r.kind == "buurt":
                self.buurten[r.parent_code].append(r)
        self.gemeenten = [r.code for r in rows if r.kind == "gemeente" and self.wijken[r.code]]

    def all_buurten(self, gemeente: str) -> list[Any]:
        return [b for w in self.wijken[gemeente] for b in self.buurten[w.code]]


def generate(session: Session, rng: random.Random, n_services: int, weights: dict[str, int]) -> dict[str, int]:
    """Insert n_services services with organisations, locations and contacts; returns row counts.

    weights: gemeente code -> how much of the catalogue it gets (its residential PC4s).
    """
    areas = _Areas(session)
    gemeenten = areas.gemeenten
    rows: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    common = {"version": 1, "created_at": CREATED, "updated_at": CREATED}
    # Organisations and their locations, spread over gemeenten by weight.
    org_gemeenten = rng.choices(gemeenten, weights=[weights.get(g, 1) for g in gemeenten], k=max(1, n_services // 8))
    orgs: list[tuple[uuid.UUID, str, str, list[tuple[uuid.UUID, float, float]]]] = []
    for gemeente in org_gemeenten:
        org_id, place = _uuid(rng), areas.by_code[gemeente].name
        name = f"{rng.choice(ORG_KINDS)} {place} {len(orgs) + 1}"
        rows["organisation"].append({**common, "id": org_id, "name": name, "phone": "0118 600 100",
                                     "email": f"info@org{len(orgs) + 1}.example", "last_verified_at": CREATED})
        rows["organisation_owner"].append({"organisation_id": org_id, "gemeente_code": gemeente})
        locations = []
        for k in range(1 + (rng.random() < 0.5) + (rng.random() < 0.25)):
            spot = rng.choice(areas.all_buurten(gemeente))
            loc_id, lat, lon = _uuid(rng), spot.lat + rng.uniform(-0.003, 0.003), spot.lon + rng.uniform(-0.004, 0.004)
            rows["location"].append({**common, "id": loc_id, "organisation_id": org_id, "name": f"{name}, {spot.name}",
                                     "street": "Voorbeeldstraat", "house_number": str(k + 1), "city": place,
                                     "lat": lat, "lon": lon, "last_verified_at": CREATED})
            rows["opening_hours"] += _hours(rng, loc_id)
            if rng.random() < 0.3:
                rows["opening_exception"] += [{"location_id": loc_id, "date": date(y, 12, 25), "note": "Kerst"}
                                              for y in (2025, 2026)]
            locations.append((loc_id, lat, lon))
        orgs.append((org_id, name, gemeente, locations))
    labels = dict(session.execute(select(NeedDomain.code, NeedDomain.label)).all())
    positions = dict(session.execute(select(NeedDomain.code, NeedDomain.position)).all())
    stems_of: dict[str, list[str]] = {}
    documents: list[tuple[uuid.UUID, fulltext.Document]] = []
    scopes, shares = zip(*SCOPES, strict=False)
    for _ in range(n_services):
        org_id, org_name, gemeente, org_locations = rng.choice(orgs)
        scope = rng.choices(scopes, weights=shares)[0]
        wijk = rng.choice(areas.wijken[gemeente])
        if scope == "buurt" and areas.buurten[wijk.code]:
            covered = rng.sample(areas.buurten[wijk.code], k=min(len(areas.buurten[wijk.code]), rng.choice((1, 1, 2))))
        elif scope in ("buurt", "wijk"):
            covered = rng.sample(areas.wijken[gemeente], k=min(len(areas.wijken[gemeente]), rng.choice((1, 1, 2))))
        elif scope == "gemeente":
            covered = [areas.by_code[gemeente]]
        else:
            covered = []
        name_t, description_t, domains, route = rng.choice(TEMPLATES)
        place = (covered[0] if covered else areas.by_code[gemeente]).name
        service_id = _uuid(rng)
        roll = rng.random()
        status = "active" if roll < 0.95 else "paused" if roll < 0.98 else "ended"
        deleted = CREATED if rng.random() < 0.01 else None
        name, description = name_t.format(p=place), description_t.format(p=place)
        rows["service"].append({
            **common, "id": service_id, "organisation_id": org_id, "name": name, "description": description,
            "access_route": route, "cost": "free" if rng.random() < 0.85 else "own_contribution",
            "languages": rng.choices((["nl"], ["nl", "en"], ["nl", "ar", "tr"]), weights=(80, 15, 5))[0],
            "waiting_days": rng.choice((None, 0, 7, 14, 28, 42)), "waiting_reported_on": date(2026, 10, 1),
            "status": status, "deleted_at": deleted, "last_verified_at": CREATED,
        })
        rows["service_owner"].append({"service_id": service_id, "gemeente_code": gemeente})
        rows["service_need_domain"] += [{"service_id": service_id, "domain_code": d} for d in domains]
        groups = rng.sample(GROUPS, k=rng.choice((0, 0, 1, 2)))
        rows["service_target_group"] += [{"service_id": service_id, "group_code": g} for g in groups]
        rows["service_area"] += [{"service_id": service_id, "area_code": a.code} for a in covered]
        anchor = covered[0] if covered else None
        # A location of the organisation, the one nearest its area; open-to-anyone services always have one.
        if org_locations and (not covered or rng.random() < 0.9):
            ranked = sorted(org_locations, key=lambda loc: (loc[1] - anchor.lat) ** 2 + (loc[2] - anchor.lon) ** 2
                            if anchor else 0)
            for loc_id, _, _ in ranked[:1 + (rng.random() < 0.15)]:
                rows["service_location"].append({"service_id": service_id, "location_id": loc_id})
        if rng.random() < 0.45:
            rows["eligibility"].append({
                "service_id": service_id, "min_age": rng.choice((None, None, 18, 50, 65)), "max_age": None,
                "must_live_in_area": bool(covered) and rng.random() < 0.5,
                "max_income_pct_social_minimum": rng.choice((None, None, 110, 120, 130)),
                "household_types": rng.choice(([], [], ["alleenstaand"], ["alleenstaande_ouder", "paar_met_kinderen"])),
                "required_target_group": rng.choice((None, None, None, *groups)) if groups else None,
                "needs_beschikking": route == "met_beschikking", "needs_gp_referral": route == "via_huisarts",
            })
        _contacts(rng, rows, service_id, org_id, covered, common)
        if deleted is None:
            parts = [name, description, org_name, *(labels[d] for d in sorted(domains, key=positions.__getitem__))]
            # stem_words works word by word, so stemming the parts one by one gives the same
            # stems as stemming their join; caching the parts makes 200,000 documents affordable.
            stems = []
            for part in parts:
                if part not in stems_of:
                    stems_of[part] = stem_words(part)
                stems += stems_of[part]
            documents.append((service_id, fulltext.Document(stems, stems_of[name])))
    for model in (Organisation, OrganisationOwner, Location, OpeningHours, OpeningException, Service, ServiceOwner,
                  ServiceNeedDomain, ServiceTargetGroup, ServiceArea, ServiceLocation, Eligibility, Contact,
                  ContactArea):
        _insert(session, model, rows[model.__tablename__])
    for start in range(0, len(documents), BATCH):
        batch = dict(documents[start:start + BATCH])
        fulltext.upsert_search_documents(session, batch, new=batch.keys())
    return {name: len(table_rows) for name, table_rows in rows.items()} | {"search_documents": len(documents)}


def _contacts(rng: random.Random, rows: defaultdict[str, list[dict[str, Any]]], service_id: uuid.UUID,
              org_id: uuid.UUID, covered: list[Any], common: dict[str, Any]) -> None:
    """1.5 contacts per service: a general one, and for half the services one for an area."""
    def person(is_general: bool, areas: list[str]) -> None:
        contact_id = _uuid(rng)
        expired = rng.random() < 0.08
        rows["contact"].append({
            **common, "id": contact_id, "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "role": rng.choice(ROLES),
            "service_id": service_id, "organisation_id": org_id, "phone": "06 12345678",
            "email": f"c{len(rows['contact'])}@voorbeeld.example", "is_general": is_general,
            "valid_from": date(2023, 1, 1), "valid_until": date(2025, 6, 30) if expired else None,
            "last_verified_at": datetime(2026, rng.randint(1, 10), rng.randint(1, 28), tzinfo=UTC),
        })
        rows["contact_area"] += [{"contact_id": contact_id, "area_code": code} for code in areas]

    person(True, [])
    if rng.random() < 0.5:
        person(False, [rng.choice(covered).code] if covered else [])
