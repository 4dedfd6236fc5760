"""What the practice page shows, read through the search, front-door, eligibility and referral services
and put in the words of the page. No HTTP here; the rules stay in the services they belong to.
"""

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.areas.schemas import PostcodeOut
from app.areas.service import area_specificity, resolve_postcode
from app.clients.scope import Principal
from app.clock import local_today, local_zone
from app.contacts.service import choose_contact, current_contacts_by_service
from app.errors import DomainError, InvalidInput, NotFound, PostcodeNotResidential
from app.front_doors.service import front_doors_for_postcode
from app.organisations.models import Organisation
from app.referrals import service as referrals
from app.referrals.schemas import Outcome as ReferralOutcome
from app.referrals.schemas import ReferralCreate, ReferralOut, Status
from app.search import service as search
from app.search.distance import PageDistances
from app.search.schemas import SearchCriteria
from app.search.text import words_as_typed
from app.services.eligibility import PatientAttributes
from app.services.models import Service
from app.services.service import get_service
from app.taxonomy.service import get_taxonomy
from app.taxonomy.vocabulary import ACCESS_ROUTE_LABELS, HOUSEHOLD_TYPE_LABELS, STATUTORY_ROUTE_LABELS, AccessRoute
from app.visibility import ANONYMOUS, Viewer
from app.web import dutch

PAGE_SIZE = 20
TRUE_VALUES = frozenset({"1", "true", "on", "ja"})

WHY = {
    "buurt": "In de buurt van de patiënt",
    "wijk": "In de wijk van de patiënt",
    "gemeente": "In de gemeente van de patiënt",
    "anywhere": "Online of telefonisch, voor iedereen",
}
VERDICTS = {"eligible": "Komt in aanmerking", "not_eligible": "Komt niet in aanmerking", "unknown": "Nog niet zeker"}
BRING = {
    AccessRoute.via_huisarts: "De verwijzing van uw huisarts.",
    AccessRoute.met_beschikking: "De beschikking (de brief van de gemeente).",
    AccessRoute.via_wijkteam: "De naam van uw contactpersoon bij het wijkteam.",
}
BRING_FOR_MONEY = "Brieven over uw inkomen, rekeningen en brieven van schuldeisers."
ROUTE_EXPLAINED = {
    AccessRoute.vrij_toegankelijk: "U kunt zelf bellen of langsgaan. U heeft geen verwijzing nodig.",
    AccessRoute.via_huisarts: "U gaat hierheen met een verwijzing van uw huisarts of praktijkondersteuner.",
    AccessRoute.via_wijkteam: "Het wijkteam meldt u hier aan. Bel eerst het wijkteam.",
    AccessRoute.met_beschikking: "U heeft eerst een beschikking van de gemeente nodig. Die vraagt u aan bij de gemeente.",
}


def _clean(value: str) -> str:
    # No one types a NUL, and PostgreSQL refuses one in any string it is sent: it is dropped.
    return value.replace("\x00", "")


def _typed(values: Any, name: str, longest: int) -> str:
    """A form field's value as typed, trimmed and cut to `longest` characters."""
    return _clean(values.get(name) or "").strip()[:longest]


@dataclass
class PageQuery:
    """The search form's values as typed (a GET: nothing about the patient)."""

    postcode: str = ""
    q: str = ""
    domains: list[str] = field(default_factory=list)
    target_group: str = ""
    free_only: bool = False
    open_now: bool = False
    cursor: str | None = None

    @classmethod
    def from_form(cls, values: Any) -> "PageQuery":
        """From query parameters or a posted form (a multi-dict)."""
        return cls(
            postcode=_typed(values, "postcode", 20),
            q=_typed(values, "q", 200),
            domains=[_clean(d) for d in values.getlist("domain") if d][:20],
            target_group=_typed(values, "target_group", 40),
            free_only=_typed(values, "free_only", 10) in TRUE_VALUES,
            open_now=_typed(values, "open_now", 10) in TRUE_VALUES,
            cursor=_typed(values, "cursor", 500) or None,
        )

    @property
    def asked(self) -> bool:
        return bool(self.postcode or self.q or self.domains or self.target_group or self.free_only or self.open_now)

    def params(self, cursor: str | None = None) -> list[tuple[str, str]]:
        """The query string of this search (and a page of it), as the form sends it."""
        pairs = [("postcode", self.postcode), ("q", self.q)] + [("domain", d) for d in self.domains]
        pairs += [("target_group", self.target_group)]
        pairs += [("free_only", "1")] if self.free_only else []
        pairs += [("open_now", "1")] if self.open_now else []
        pairs += [("cursor", cursor)] if cursor else []
        return [(name, value) for name, value in pairs if value]


@dataclass
class PatientForm:
    """The quick eligibility check's values as typed: used for one answer, never kept."""

    age: str = ""
    household: str = ""
    income: str = ""
    beschikking: str = ""

    @classmethod
    def from_form(cls, values: Any) -> "PatientForm":
        return cls(**{name: _typed(values, name, 40) for name in ("age", "household", "income", "beschikking")})


@dataclass
class Vocabulary:
    domains: list[tuple[str, str]]
    groups: list[tuple[str, str]]
    households: list[tuple[str, str]]
    topics: dict[str, str]

    @property
    def domain_labels(self) -> dict[str, str]:
        return dict(self.domains)

    @property
    def group_labels(self) -> dict[str, str]:
        return dict(self.groups)


def vocabulary(session: Session) -> Vocabulary:
    taxonomy = get_taxonomy(session)
    return Vocabulary(
        domains=[(t.code, t.label) for t in taxonomy.need_domains],
        groups=[(t.code, t.label) for t in taxonomy.target_groups],
        households=[(code.value, nl) for code, (nl, _) in HOUSEHOLD_TYPE_LABELS.items()],
        # "Voor financiën in Middelburg", "Voor Jeugdwet in Middelburg": domains are common nouns, laws are names.
        topics={t.code: t.label[0].lower() + t.label[1:] for t in taxonomy.need_domains}
        | {r.value: nl for r, (nl, _) in STATUTORY_ROUTE_LABELS.items()},
    )


@dataclass
class Outcome:
    """The page's answer: results, or the Dutch messages next to the fields at fault."""

    errors: dict[str, str] = field(default_factory=dict)
    place: dict[str, Any] | None = None
    front_doors: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None
    checked: bool = False  # the eligibility check ran
    notice: str | None = None


def _field_message(exc: DomainError, query: PageQuery) -> tuple[str, str]:
    """A service's refusal as a message for the form field it names."""
    name = exc.field or "postcode"
    if isinstance(exc, PostcodeNotResidential):
        return "postcode", "Op deze postcode wonen geen mensen (alleen postbussen). Vul de postcode van het woonadres in."
    if isinstance(exc, NotFound):
        return "postcode", f"De postcode {query.postcode} kent de wijkkaart niet. Controleer de postcode."
    if name == "postcode":
        return name, "Vul een Nederlandse postcode in: 4 cijfers, eventueel met 2 letters (bijvoorbeeld 4331 AB)."
    if name == "q":
        return name, "Vul een woord in waarop gezocht kan worden, bijvoorbeeld: schulden."
    if name == "domain":
        return name, "Kies een onderwerp uit de lijst."
    if name == "target_group":
        return name, "Kies een doelgroep uit de lijst."
    return "postcode", "Deze zoekvraag kan niet worden beantwoord. Controleer de velden."


def _patient(form: PatientForm, errors: dict[str, str]) -> PatientAttributes:
    """The attributes the eligibility service takes; what is not a number is reported on its field."""
    numbers: dict[str, int | None] = {}
    for name, top, message in (
        ("age", 120, "Vul de leeftijd in hele jaren in (0 tot 120)."),
        ("income", 1000, "Vul het inkomen in als percentage van het sociaal minimum (0 tot 1000)."),
    ):
        text = getattr(form, name).removesuffix("%").strip()
        numbers[name] = None
        if text:
            if text.isdigit() and int(text) <= top:
                numbers[name] = int(text)
            else:
                errors[name] = message
    household = form.household if form.household in dict(HOUSEHOLD_TYPE_LABELS) else None
    if form.household and household is None:
        errors["household"] = "Kies een huishouden uit de lijst."
    return PatientAttributes(age=numbers["age"], income_pct_social_minimum=numbers["income"], household=household)


def find(session: Session, query: PageQuery, viewer: Viewer, vocab: Vocabulary, form: PatientForm | None = None) -> Outcome:
    """Search as the form asks; with `form`, each result's eligibility verdict for that patient."""
    outcome = Outcome()
    if not query.postcode:
        if query.asked:
            outcome.errors["postcode"] = "Vul de postcode van de patiënt in."
        return outcome
    patient = _patient(form, outcome.errors) if form is not None else None
    if outcome.errors:
        patient = None  # the results without verdicts, the messages on the check's fields
    try:
        criteria = SearchCriteria(
            postcode=query.postcode, q=query.q or None, domain=query.domains, target_group=query.target_group or None,
            # Every card says whether it is open now; "Alleen wat nu open is" leaves out the rest, all pages through.
            free_only=query.free_only, open_now=True, open_only=query.open_now, cursor=query.cursor, limit=PAGE_SIZE,
        )
    except ValidationError as exc:
        name = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else "postcode"
        outcome.errors.update([_field_message(InvalidInput("", field=name), query)])
        return outcome
    try:
        page = search.search(session, criteria, viewer, patient=patient)
    except InvalidInput as exc:
        if exc.field == "cursor":  # a stale "more results" link: the first page instead
            return find(session, replace(query, cursor=None), viewer, vocab, form)
        outcome.errors.update([_field_message(exc, query)])
        return outcome
    except (NotFound, PostcodeNotResidential) as exc:
        outcome.errors.update([_field_message(exc, query)])
        return outcome
    outcome.place = page["place"]
    outcome.next_cursor = page["next_cursor"]
    outcome.checked = patient is not None
    items = page["items"]
    if query.open_now and not items and search.search(
        session, criteria.model_copy(update={"open_only": False, "limit": 1, "cursor": None}), viewer,
    )["items"]:
        outcome.notice = "Op dit moment is geen van deze diensten open. Zoek zonder ‘Alleen wat nu open is’ om ze te zien."
    if not items and query.q and not outcome.notice:
        outcome.errors["q"] = f"Niets gevonden voor ‘{query.q}’ bij deze postcode. Probeer een ander woord of kies een onderwerp."
    _, doors, _ = front_doors_for_postcode(session, viewer, query.postcode, topics=[], cursor=None, limit=50)
    public = _public_details(session, [item["service"]["id"] for item in items] + [str(d.service.id) for d in doors])
    matched = _matcher(query.q)
    beschikking = form.beschikking if form else ""
    outcome.cards = [
        _card(number, item, public, matched, vocab, beschikking, query.domains)
        for number, item in enumerate(items, start=1)
    ]
    outcome.front_doors = [_front_door(door, public, vocab) for door in doors]
    return outcome


def _public_details(session: Session, service_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per service: its organisation's public phone and website, and when the service was last verified."""
    ids = {uuid.UUID(str(i)) for i in service_ids}
    if not ids:
        return {}
    rows = session.exec(
        select(Service.id, Service.last_verified_at, Organisation.phone, Organisation.website)
        .join(Organisation, col(Organisation.id) == Service.organisation_id)
        .where(col(Service.id).in_(ids))
    ).all()
    return {
        str(sid): {"phone": phone, "website": website, "verified": dutch.long_date(verified) if verified else None}
        for sid, verified, phone, website in rows
    }


def _matcher(q: str) -> Any:
    """A function from a result to the words of q the search found it by (its why.matches), as typed."""
    typed = words_as_typed(q)

    def matched(item: dict[str, Any]) -> list[str]:
        matches = item["why"]["matches"] if item.get("why") else []
        return list(dict.fromkeys(typed.get(match["word"], match["word"]) for match in matches))

    return matched


def _contact(contact: dict[str, Any] | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {name: contact[name] for name in ("name", "role", "phone", "email", "secure_messaging")}


def _location(location: dict[str, Any] | None, today: date) -> dict[str, Any] | None:
    if location is None:
        return None
    address = location["address"]
    street = " ".join(part for part in (address["street"], address["house_number"]) if part)
    town = " ".join(part for part in (address["postcode"], address["city"]) if part)
    return {
        "name": location["name"],
        "address": ", ".join(part for part in (street, town) if part),
        "accessibility": location["accessibility_note"],
        "today": dutch.day_hours(location, today),
        "today_name": dutch.weekday_date(today),
        "week": dutch.week_hours(location["opening_hours"]),
        "exceptions": dutch.coming_exceptions(location, today),
        "lat": location["lat"], "lon": location["lon"],
    }


def _why(item: dict[str, Any]) -> str:
    if item["match"] == "radius":
        return f"Binnen {dutch.kilometres(item['distance_km'])} van de patiënt"
    return WHY[item["match"]]


def _rules(rules: dict[str, Any] | None, vocab: Vocabulary) -> list[tuple[str, str]]:
    """(rule name, the rule in Dutch) for each rule a service sets."""
    if not rules:
        return []
    lines = []
    if rules["min_age"] is not None:
        lines.append(("min_age", f"Vanaf {rules['min_age']} jaar"))
    if rules["max_age"] is not None:
        lines.append(("max_age", f"Tot en met {rules['max_age']} jaar"))
    if rules["max_income_pct_social_minimum"] is not None:
        lines.append(("max_income_pct_social_minimum",
                      f"Inkomen tot en met {rules['max_income_pct_social_minimum']}% van het sociaal minimum"))
    if rules["household_types"]:
        households = dict(vocab.households)
        kinds = ", ".join(households.get(h, h).lower() for h in rules["household_types"])
        lines.append(("household_types", "Huishouden: " + kinds))
    if rules["required_target_group"]:
        group = vocab.group_labels.get(rules["required_target_group"], rules["required_target_group"])
        lines.append(("required_target_group", f"Doelgroep: {group.lower()}"))
    if rules["must_live_in_area"]:
        lines.append(("must_live_in_area", "Woont in het werkgebied"))
    return lines


def _verdict(item: dict[str, Any], vocab: Vocabulary, beschikking: str) -> dict[str, Any] | None:
    """The eligibility service's verdict in Dutch, rule by rule ("Vanaf 18 jaar: voldoet")."""
    verdict = item["eligibility"]
    if verdict is None:
        return None
    failed = {outcome["rule"]: outcome["detail"] for outcome in verdict["failed"]}
    unknown = {outcome["rule"]: outcome["detail"] for outcome in verdict["unknown"]}
    lines = []
    for rule, text in _rules(item["service"]["eligibility"], vocab):
        if rule in failed:
            lines.append((f"{text}: voldoet niet ({failed[rule].split('; ', 1)[-1]})", "nee"))
        elif rule in unknown:
            lines.append((f"{text}: onbekend ({unknown[rule].split('; ', 1)[-1]})", "onbekend"))
        else:
            lines.append((f"{text}: voldoet", "ja"))
    summary = VERDICTS[verdict["verdict"]]
    if "needs_beschikking" in verdict["conditions"]:
        if beschikking == "ja":
            lines.append(("Beschikking nodig: die is er", "ja"))
        else:
            missing = beschikking == "nee"
            lines.append(("Beschikking nodig: " + ("die is er nog niet" if missing else "onbekend"),
                          "nee" if missing else "onbekend"))
            if verdict["verdict"] == "eligible":
                summary = "Komt in aanmerking met een beschikking"
    if "needs_gp_referral" in verdict["conditions"]:
        lines.append(("Verwijzing van de huisarts nodig", "onbekend"))
    if not lines:
        lines.append(("Geen voorwaarden: voor iedereen", "ja"))
    return {"summary": summary, "state": verdict["verdict"], "lines": lines}


def _card(
    number: int, item: dict[str, Any], public: dict[str, dict[str, Any]], matched: Any, vocab: Vocabulary,
    beschikking: str, wanted: list[str],
) -> dict[str, Any]:
    service, today = item["service"], local_today()
    waiting = item["waiting_time"]
    opening = item["opening"]
    details = public.get(service["id"], {})
    return {
        "number": number,
        "id": service["id"],
        "name": service["name"],
        "organisation": service["organisation"]["name"],
        "description": service["description"],
        "why": _why(item),
        "distance": dutch.kilometres(item["distance_km"]) if item["distance_km"] is not None else None,
        "matched": matched(item),
        "domains": [vocab.domain_labels.get(code, code) for code in service["need_domains"]],
        # A referral counts under the domains searched for, or all the service's when none of them.
        "refer_domains": [code for code in service["need_domains"] if code in wanted] or service["need_domains"],
        "contact": _contact(item["contact"]),
        "public_phone": details.get("phone"),
        "website": details.get("website"),
        "location": _location(item["nearest_location"], today),
        "open_state": {"open": "nu open", "closed": "nu gesloten"}.get(opening["state"]) if opening else None,
        "waiting": dutch.waiting(waiting["days"]),
        "waiting_reported": dutch.short_date(waiting["reported_on"]) if waiting["reported_on"] else None,
        "waiting_stale": dutch.waiting_is_stale(waiting["reported_on"], today),
        "cost": "Gratis" if service["cost"] == "free" else "Eigen bijdrage",
        "cost_note": service["cost_note"],
        "access": ACCESS_ROUTE_LABELS[AccessRoute(item["access_route"])][0],
        "open_access": item["access_route"] == AccessRoute.vrij_toegankelijk,
        "verified": details.get("verified"),
        "rules": [text for _, text in _rules(service["eligibility"], vocab)],
        "rules_note": service["eligibility"]["note"] if service["eligibility"] else None,
        "verdict": _verdict(item, vocab, beschikking),
    }


def _front_door(door: Any, public: dict[str, dict[str, Any]], vocab: Vocabulary) -> dict[str, Any]:
    return {
        "topic": vocab.topics.get(door.topic, door.topic),
        "area": door.area.name,
        "service": door.service.name,
        "service_id": str(door.service.id),
        "note": door.note,
        "contact": _contact(door.contact.model_dump()) if door.contact else None,
        "public_phone": public.get(str(door.service.id), {}).get("phone"),
    }


def handout(session: Session, service_id: uuid.UUID, postcode: str | None) -> dict[str, Any]:
    """The patient's leaflet for one service: public facts only, in plain Dutch (never direct lines).
    With the patient's postcode: the location nearest to it and the contact for its area."""
    out = get_service(session, service_id, ANONYMOUS)
    details = _public_details(session, [str(service_id)])[str(service_id)]
    today = local_today()
    place = _place(session, postcode)
    levels = area_specificity(
        [b.code for b in place.buurten], [w.code for w in place.wijken], place.gemeente.code if place.gemeente else None
    ) if place else {}
    person = choose_contact(current_contacts_by_service(session, [out.id], today)[out.id], levels)
    # In the search's order and by its distance, so that the handout names the location the result card does.
    locations = sorted((loc.model_dump(mode="json") for loc in out.locations), key=lambda loc: (loc["name"], loc["id"]))
    nearest = PageDistances(place.lat, place.lon).nearest(locations) if place else None
    location = nearest[1] if nearest else locations[0] if locations else None
    bring = ["Een geldig identiteitsbewijs (paspoort, id-kaart of rijbewijs)."]
    if out.access_route in BRING:
        bring.append(BRING[out.access_route])
    if "financien" in out.need_domains:
        bring.append(BRING_FOR_MONEY)
    return {
        "id": str(out.id),
        "name": out.name,
        "organisation": out.organisation.name,
        "description": out.description,
        "location": _location(location, today),
        "contact": {"name": person.name, "role": person.role} if person else None,
        "public_phone": details["phone"],
        "website": details["website"],
        "cost": "Gratis" if out.cost == "free" else "U betaalt een eigen bijdrage",
        "cost_note": out.cost_note,
        "route": ROUTE_EXPLAINED[out.access_route],
        # Referred anyway, the code announces the patient (a warm handover); it is no referral they need.
        "open_access": out.access_route == AccessRoute.vrij_toegankelijk,
        "bring": bring,
        "verified": details["verified"],
        "printed": dutch.long_date(datetime.now(local_zone())),
    }


def _place(session: Session, postcode: str | None) -> PostcodeOut | None:
    """The patient's postcode resolved, None when not given or not one the wijkkaart can place."""
    if not postcode:
        return None
    try:
        return resolve_postcode(session, postcode)
    except DomainError:
        return None


# A referral's progress as the practice reads it; a closed one with how it ended.
STATUS_LABELS = {
    Status.verstuurd: "verstuurd", Status.ontvangen: "ontvangen", Status.contact_gelegd: "contact gelegd",
    Status.intake_gedaan: "intake gedaan", Status.afgesloten: "afgesloten",
}
OUTCOME_LABELS = {
    ReferralOutcome.geholpen: "geholpen", ReferralOutcome.doorverwezen: "doorverwezen",
    ReferralOutcome.past_niet: "past niet", ReferralOutcome.niet_bereikt: "patiënt niet bereikt",
    ReferralOutcome.afgezien: "patiënt zag ervan af",
}
REFERRALS_PAGE_SIZE = 50


def refer(session: Session, practice: Principal, values: Any) -> ReferralOut:
    """A referral from a result card's form: the service, its need domains and the urgency only.
    Raises ValidationError or DomainError on anything the referrals API would refuse."""
    data = ReferralCreate.model_validate({
        "service_id": values.get("service_id"), "need_domains": values.getlist("domain"),
        "urgency": values.get("urgency") or "normaal",
    })
    return referrals.create_referral(session, practice, data)


def my_referrals(session: Session, practice: Principal, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The practice's own referrals as the list shows them, newest first; and the next page's cursor.
    A stale cursor gives the first page."""
    try:
        items, next_cursor = referrals.list_referrals(
            session, practice, incoming=False, status=None, since=None, cursor=cursor, limit=REFERRALS_PAGE_SIZE,
        )
    except InvalidInput:
        if cursor is None:
            raise
        return my_referrals(session, practice, None)
    ids = {item.service_id for item in items}
    names = dict(session.exec(select(Service.id, Service.name).where(col(Service.id).in_(ids))).all()) if ids else {}
    rows = [{
        "code": item.code,
        "service": names.get(item.service_id, ""),
        "service_id": str(item.service_id),
        "date": dutch.short_date(item.created_at.astimezone(local_zone()).date(), with_year=True),
        "urgency": item.urgency.value,
        "status": STATUS_LABELS[item.status] + (f" – {OUTCOME_LABELS[item.outcome]}" if item.outcome else ""),
        "niet_opgepakt": item.niet_opgepakt,
    } for item in items]
    return rows, next_cursor
