"""Eligibility verdicts: a service's rules against one patient's attributes.

Patient attributes are used for the answer only: they are never stored, and no
line here logs them (nor may any caller). The rules are evaluated by one pure
function, which every endpoint that gives verdicts reaches through service_verdict
(where the patient lives is decided there too), so they all give the same ones.
"""

import uuid
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from app.areas.schemas import PostcodeOut
from app.areas.service import parent_code_of, resolve_postcode
from app.entity import get_live
from app.errors import Conflict, InvalidInput, NotFound
from app.postcode import normalise_postcode
from app.services.models import Service
from app.services.schemas import Codes, EligibilityRules
from app.services.service import eligibility_rules
from app.taxonomy.service import require_target_groups
from app.taxonomy.vocabulary import HouseholdType, ServiceStatus

NOT_KEPT = "Used for this answer only; never stored or logged."
NO_POSTCODE = "woonplek onbekend (geef de postcode van het woonadres)"

RuleName = Literal[
    "min_age", "max_age", "max_income_pct_social_minimum", "household_types",
    "required_target_group", "must_live_in_area",
]
Condition = Literal["needs_beschikking", "needs_gp_referral"]


def _postcode(value: str) -> str:
    try:
        return normalise_postcode(value)
    except InvalidInput as exc:
        raise ValueError(exc.detail) from exc


# A number sent as JSON number: lax mode would read `true` as 1 and "40" as 40. (The other
# attributes are strings, codes and lists, which lax mode takes only as they are.)
WholeNumber = Annotated[int, Strict()]


class PatientAttributes(BaseModel):
    """What is known of the patient; leave out what is not known (the verdict then says `unknown`)."""

    model_config = ConfigDict(extra="forbid")

    age: WholeNumber | None = Field(default=None, ge=0, le=120, description=f"Age in years. {NOT_KEPT}")
    income_pct_social_minimum: WholeNumber | None = Field(
        default=None, ge=0, le=1000, description=f"Household income as % of the social minimum. {NOT_KEPT}"
    )
    household: HouseholdType | None = Field(default=None, description=f"Household type. {NOT_KEPT}")
    target_groups: Codes = Field(
        default_factory=list,
        description=f"Target-group codes that apply to the patient; empty = not known. {NOT_KEPT}",
    )
    postcode: Annotated[str, AfterValidator(_postcode)] | None = Field(
        default=None,
        description=(
            "PC6 (or PC4) of the home address; only decides residence in the service area "
            f"(a search takes its own postcode when this is left out). {NOT_KEPT}"
        ),
    )


class RuleOutcome(BaseModel):
    rule: RuleName
    detail: str = Field(examples=["Vanaf 65 jaar; patiënt is 40"])
    missing: str | None = Field(default=None, description="For an unknown outcome: the attribute to give.")


class EligibilityVerdict(BaseModel):
    verdict: Literal["eligible", "not_eligible", "unknown"] = Field(
        description="`not_eligible` when any rule fails; else `unknown` when any rule lacks its attribute."
    )
    failed: list[RuleOutcome] = Field(default_factory=list, description="Every rule the patient fails.")
    unknown: list[RuleOutcome] = Field(
        default_factory=list, description="Every rule that could not be decided, with the missing attribute."
    )
    conditions: list[Condition] = Field(
        default_factory=list, description="Access conditions outside the patient's attributes."
    )


def _given(value: object, shown: str, missing: str) -> str:
    return missing if value is None else shown


def _checks(
    rules: EligibilityRules, patient: PatientAttributes, lives_in_service_area: bool | None, residence_unknown: str
) -> Iterator[tuple[RuleName, bool | None, str, str]]:
    """Each applicable rule as (rule, passed — None when the attribute is missing, that attribute, detail)."""
    age, income, household = patient.age, patient.income_pct_social_minimum, patient.household
    age_text = _given(age, f"patiënt is {age}", "leeftijd niet opgegeven")
    if rules.min_age is not None:
        yield "min_age", None if age is None else age >= rules.min_age, "age", f"Vanaf {rules.min_age} jaar; {age_text}"
    if rules.max_age is not None:
        yield "max_age", None if age is None else age <= rules.max_age, "age", f"Tot en met {rules.max_age} jaar; {age_text}"
    if (limit := rules.max_income_pct_social_minimum) is not None:
        yield (
            "max_income_pct_social_minimum", None if income is None else income <= limit, "income_pct_social_minimum",
            f"Inkomen tot en met {limit}% van het sociaal minimum; "
            + _given(income, f"patiënt zit op {income}%", "inkomen niet opgegeven"),
        )
    if rules.household_types:
        yield (
            "household_types", None if household is None else household in rules.household_types, "household",
            f"Alleen voor huishoudens: {', '.join(rules.household_types)}; "
            + _given(household, f"patiënt: {household}", "huishouden niet opgegeven"),
        )
    if group := rules.required_target_group:
        # An empty list is "not told", not "in no group": the default cannot mean a refusal.
        known = bool(patient.target_groups)
        yield (
            "required_target_group", group in patient.target_groups if known else None, "target_groups",
            f"Alleen voor doelgroep {group}; "
            + ("patiënt hoort er niet bij" if known else "doelgroepen niet opgegeven"),
        )
    if rules.must_live_in_area:
        yield (
            "must_live_in_area", lives_in_service_area, "postcode",
            "Alleen voor inwoners van het werkgebied; "
            + _given(lives_in_service_area, "patiënt woont erbuiten", residence_unknown),
        )


def evaluate(
    rules: EligibilityRules | None, patient: PatientAttributes, *, lives_in_service_area: bool | None,
    residence_unknown: str = NO_POSTCODE,
) -> EligibilityVerdict:
    """The verdict of the rules for this patient; `lives_in_service_area` None means unknown,
    and `residence_unknown` then says why."""
    if rules is None:
        return EligibilityVerdict(verdict="eligible")
    failed: list[RuleOutcome] = []
    unknown: list[RuleOutcome] = []
    for rule, passed, attribute, detail in _checks(rules, patient, lives_in_service_area, residence_unknown):
        if passed is None:
            unknown.append(RuleOutcome(rule=rule, detail=detail, missing=attribute))
        elif not passed:
            failed.append(RuleOutcome(rule=rule, detail=detail))
    conditions: list[Condition] = []
    if rules.needs_beschikking:
        conditions.append("needs_beschikking")
    if rules.needs_gp_referral:
        conditions.append("needs_gp_referral")
    verdict: Literal["eligible", "not_eligible", "unknown"] = (
        "not_eligible" if failed else "unknown" if unknown else "eligible"
    )
    return EligibilityVerdict(verdict=verdict, failed=failed, unknown=unknown, conditions=conditions)


def lives_in(area_codes: set[str], place: PostcodeOut) -> bool | None:
    """Whether the postcode lies in the areas; None when that cannot be told.

    A PC6 has one buurt, but a PC4 may span several: when only some of them are in
    the areas, where the patient lives cannot be told from the PC4 alone. Buurten
    derived from points (approximate) may miss some the PC4 spans, so with those only
    the gemeente is known: an area within it leaves the answer open either way.
    """
    if place.gemeente is not None and place.gemeente.code in area_codes:
        return True
    if place.buurten and not any(b.approximate for b in place.buurten):
        inside = [b.code in area_codes or parent_code_of(b.code) in area_codes for b in place.buurten]
        return True if all(inside) else None if any(inside) else False
    # A buurt code carries its gemeente's digits (after a re-division, a predecessor's).
    gemeenten = {b.code[2:6] for b in place.buurten} | ({place.gemeente.code[2:]} if place.gemeente else set())
    return None if any(code[2:6] in gemeenten for code in area_codes) else False


def _why_undecided(place: PostcodeOut) -> str:
    """What leaves residence open for a postcode lives_in could not decide, in the verdict's words."""
    if not place.buurten:
        known = f"van postcode {place.pc4} is alleen de gemeente bekend"
    elif any(b.approximate for b in place.buurten):
        known = f"de buurten van postcode {place.pc4} zijn alleen bij benadering bekend"
    else:
        known = f"postcode {place.pc4} ligt deels in het werkgebied"
    if len(place.postcode) == 4:
        return f"{known} (geef de volledige postcode)"
    return f"de buurt van {place.postcode} is niet bekend en {known}"  # a PC6 without a row of its own


def service_verdict(
    rules: EligibilityRules | None, area_codes: set[str], patient: PatientAttributes, home: PostcodeOut | None
) -> EligibilityVerdict:
    """A service's verdict for a patient living at `home` (None: not known)."""
    if not area_codes or rules is None or not rules.must_live_in_area:
        return evaluate(rules, patient, lives_in_service_area=True)  # residence not asked, or no areas: open to anyone
    if home is None:
        return evaluate(rules, patient, lives_in_service_area=None)
    lives = lives_in(area_codes, home)
    why = _why_undecided(home) if lives is None else NO_POSTCODE
    return evaluate(rules, patient, lives_in_service_area=lives, residence_unknown=why)


def patient_home(session: Session, postcode: str, field: str) -> PostcodeOut:
    """The patient's home postcode resolved; one nobody lives at, or that is not known, is a 422
    naming `field` (a 404 would read as "no such service")."""
    try:
        return resolve_postcode(session, postcode, field)
    except NotFound as exc:
        raise InvalidInput(exc.detail, field=field) from exc


def check_service_eligibility(session: Session, service_id: uuid.UUID, patient: PatientAttributes) -> EligibilityVerdict:
    service = get_live(
        session, Service, service_id,
        (selectinload(Service.eligibility), selectinload(Service.areas)),  # type: ignore[arg-type]  # SQLModel types columns and relationships as their Python values
    )
    if service.status != ServiceStatus.active:
        # Search leaves such a service out; an "eligible" for one that takes nobody would mislead.
        raise Conflict(
            f"This service is {service.status}: it takes no referrals now, whatever the patient's attributes.",
            field="service_id",
        )
    require_target_groups(session, patient.target_groups, "target_groups")
    # Resolved whatever the service's rules, so that a postcode is refused alike everywhere.
    home = patient_home(session, patient.postcode, "postcode") if patient.postcode is not None else None
    return service_verdict(eligibility_rules(service), {a.area_code for a in service.areas}, patient, home)
