"""Eligibility verdicts: a service's rules against one patient's attributes.

Patient attributes are used for the answer only: they are never stored, and no
line here logs them (nor may any caller). The rules are evaluated by one pure
function, so every endpoint that gives verdicts gives the same ones.
"""

import uuid
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from app.areas.postcode import normalise_postcode
from app.areas.schemas import PostcodeOut
from app.areas.service import parent_code_of, resolve_postcode
from app.entity import get_live
from app.errors import InvalidInput, NotFound
from app.services.models import Service
from app.services.schemas import Codes, EligibilityRules
from app.services.service import eligibility_rules
from app.taxonomy.service import require_target_groups
from app.taxonomy.vocabulary import HouseholdType

NOT_KEPT = "Used for this answer only; never stored or logged."

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


class PatientAttributes(BaseModel):
    """What is known of the patient; leave out what is not known (the verdict then says `unknown`)."""

    model_config = ConfigDict(extra="forbid")

    age: int | None = Field(default=None, ge=0, le=120, description=f"Age in years. {NOT_KEPT}")
    income_pct_social_minimum: int | None = Field(
        default=None, ge=0, le=1000, description=f"Household income as % of the social minimum. {NOT_KEPT}"
    )
    household: HouseholdType | None = Field(default=None, description=f"Household type. {NOT_KEPT}")
    target_groups: Codes = Field(
        default_factory=list,
        description=f"Target-group codes that apply to the patient; empty = not known. {NOT_KEPT}",
    )
    postcode: Annotated[str, AfterValidator(_postcode)] | None = Field(
        default=None,
        description=f"PC6 (or PC4) of the home address; only decides residence in the service area. {NOT_KEPT}",
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
    rules: EligibilityRules, patient: PatientAttributes, lives_in_service_area: bool | None
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
            + _given(lives_in_service_area, "patiënt woont erbuiten", "woonplek onbekend (geef de volledige postcode)"),
        )


def evaluate(
    rules: EligibilityRules | None, patient: PatientAttributes, *, lives_in_service_area: bool | None
) -> EligibilityVerdict:
    """The verdict of the rules for this patient; `lives_in_service_area` None means unknown."""
    if rules is None:
        return EligibilityVerdict(verdict="eligible")
    failed: list[RuleOutcome] = []
    unknown: list[RuleOutcome] = []
    for rule, passed, attribute, detail in _checks(rules, patient, lives_in_service_area):
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
    """Whether the postcode lies in the areas; None when its buurten straddle the boundary.

    A PC6 has one buurt, but a PC4 may span several: when only some of them are in
    the areas, where the patient lives cannot be told from the PC4 alone.
    """
    if place.gemeente is not None and place.gemeente.code in area_codes:
        return True
    inside = [b.code in area_codes or parent_code_of(b.code) in area_codes for b in place.buurten]
    if not inside:
        # Without buurten only the gemeente is known: an area within it leaves the answer open.
        gemeente = place.gemeente.code[2:] if place.gemeente else None
        return None if gemeente and any(code[2:6] == gemeente for code in area_codes) else False
    return True if all(inside) else None if any(inside) else False


def check_service_eligibility(session: Session, service_id: uuid.UUID, patient: PatientAttributes) -> EligibilityVerdict:
    service = get_live(
        session, Service, service_id,
        (selectinload(Service.eligibility), selectinload(Service.areas)),  # type: ignore[arg-type]
    )
    require_target_groups(session, patient.target_groups, "target_groups")
    rules = eligibility_rules(service)
    area_codes = {a.area_code for a in service.areas}
    lives_in_service_area: bool | None = None
    if not area_codes:
        lives_in_service_area = True  # no areas: open to anyone
    elif rules is not None and rules.must_live_in_area and patient.postcode is not None:
        # Resolved only when the rule needs it: the postcode is used no further than necessary.
        try:
            place = resolve_postcode(session, patient.postcode)
        except NotFound as exc:  # a 404 here would read as "no such service"
            raise InvalidInput(exc.detail, field="postcode") from exc
        lives_in_service_area = lives_in(area_codes, place)
    return evaluate(rules, patient, lives_in_service_area=lives_in_service_area)
