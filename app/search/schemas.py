import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from app.contacts.schemas import ContactOut
from app.fields import LanguageCode, LocalDateTime, blank_is_none, schema_examples
from app.locations.opening import OpeningState
from app.locations.schemas import LocationOut
from app.organisations.schemas import OrganisationRef
from app.pagination import MAX_LIMIT
from app.request_checks import MAX_VALUES_PER_PARAMETER
from app.services.eligibility import EligibilityVerdict, PatientAttributes
from app.services.schemas import SERVICE_EXAMPLE, EligibilityRules, WaitingTime
from app.taxonomy.vocabulary import AccessRoute, Cost

MatchLevel = Literal["buurt", "wijk", "gemeente", "radius", "anywhere"]
MATCH_LEVELS: list[MatchLevel] = ["buurt", "wijk", "gemeente", "radius", "anywhere"]
DEFAULT_RADIUS_KM = 10.0
MAX_RADIUS_KM = 50.0


_SUMMARY_FIELDS = (
    "id", "name", "description", "organisation", "need_domains", "target_groups", "cost", "cost_note", "languages",
    "eligibility",
)
SEARCH_PAGE_EXAMPLE = {
    "items": [{
        "service": {name: SERVICE_EXAMPLE[name] for name in _SUMMARY_FIELDS},
        "match": "gemeente",
        "distance_km": 0.15,
        "nearest_location": SERVICE_EXAMPLE["locations"][0],
        "access_route": SERVICE_EXAMPLE["access_route"],
        "waiting_time": SERVICE_EXAMPLE["waiting_time"],
        "opening": {"state": "open", "at": "2026-11-24T10:15:00+01:00"},
        "contact": SERVICE_EXAMPLE["contacts"][0],
        "eligibility": None,
        "why": {"relevance": 3, "matches": [{"word": "schulden", "where": "name", "matched": "Schuldhulpverlening"}],
                "fallback": False},
    }],
    "next_cursor": "x7Gm2Qp9eyJzIjoic2VhcmNoIn0",
    "limit": 20,
    "fallback": None,
    "place": {
        "postcode": "4331AB", "resolved_via": "pc4", "lat": 51.4989019, "lon": 3.6135855, "gemeente": "GM0687",
        "wijken": ["WK068700", "WK068701"], "buurten": ["BU06870000", "BU06870101", "BU06870102"],
    },
}
SEARCH_REQUEST_EXAMPLE = {
    "postcode": "4331AB", "domain": ["financien"], "open_now": True,
    "patient": {"age": 70, "income_pct_social_minimum": 110, "household": "alleenstaand", "target_groups": ["ouderen"]},
    "eligible_only": False,
}


class SearchCriteria(BaseModel):
    """Where, what and for whom; the same for GET (query) and POST (body)."""

    model_config = ConfigDict(extra="forbid")

    postcode: str | None = Field(default=None, description="PC6 or PC4 of the patient.", examples=["4331AB"])
    lat: float | None = Field(default=None, ge=50.5, le=53.8, description="With lon, instead of a postcode.")
    lon: float | None = Field(default=None, ge=3.0, le=7.5)
    domain: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=MAX_VALUES_PER_PARAMETER,
        description="ZRM need domains; a service matches any of them.", examples=[["financien"]],
    )
    target_group: str | None = Field(default=None, max_length=40, examples=["mantelzorgers"])
    access_route: AccessRoute | None = None
    # Empty is no text filter; a q of characters that are no searchable word ("*") is refused by the search.
    q: Annotated[str | None, AfterValidator(blank_is_none)] = Field(
        default=None, max_length=200, description="Free text, Dutch; empty or only spaces: no text filter.",
        examples=["schulden"],
    )
    radius_km: float = Field(default=DEFAULT_RADIUS_KM, gt=0, le=MAX_RADIUS_KM)
    open_now: bool = Field(default=False, description="Say per result whether it is open now.")
    open_at: LocalDateTime | None = Field(
        default=None, description="Say per result whether it is open then; without a zone, Europe/Amsterdam."
    )
    open_only: bool = Field(default=False, description=(
        "Only services open at the search's moment: open_at, or else now (then open_now is implied). Open means "
        "at least one of its locations is open by its opening hours and exceptions; a service without "
        "locations, or without hours for that day, is left out. Applied before the page is cut, so pages and "
        "cursors run through the open services only."
    ))
    language: LanguageCode | None = Field(
        default=None, description="Services offered in this language (ISO 639-1).", examples=["ar"]
    )
    free_only: bool = False
    cursor: str | None = None
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)

    @model_validator(mode="after")
    def _one_place(self) -> Self:
        if self.postcode is None and (self.lat is None or self.lon is None):
            raise ValueError("give a postcode, or lat and lon")
        if self.postcode is not None and (self.lat is not None or self.lon is not None):
            raise ValueError("give a postcode or lat and lon, not both")
        if self.open_now and self.open_at is not None:
            raise ValueError("give open_now or open_at, not both")
        if self.open_only and self.open_at is None:
            # The same search, however it was asked: one cache entry, one cursor scope.
            self.open_now = True
        return self


class ServiceSummary(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    organisation: OrganisationRef
    need_domains: list[str]
    target_groups: list[str]
    cost: Cost
    cost_note: str | None
    languages: list[str]
    eligibility: EligibilityRules | None


class Opening(BaseModel):
    state: OpeningState
    at: datetime


class WordMatch(BaseModel):
    word: str = Field(description="A word of q, lower-case without accents.")
    where: Literal["name", "domain", "description"] = Field(description=(
        "Where it matched best: the service's name (the word, or a word of the need domain it names); a need "
        "domain the service serves that the word names (a synonym or the label); or the description or "
        "organisation's name."
    ))
    matched: str = Field(
        description="The word of the name as written, the need domain's code, or the word found in the description.")


class RankReason(BaseModel):
    relevance: int = Field(description=(
        "The relevance band: per word of q, 3 for a match in the name, 2 in a need domain, 1 in the description. "
        "Results are ordered by band, then by match level, then by distance."
    ))
    matches: list[WordMatch]
    fallback: bool = Field(description="Offered for the related need domain of the page's `fallback`; matches no word of q.")


class Fallback(BaseModel):
    domain: str = Field(description="The need domain whose services are offered instead.")
    word: str = Field(description="The word of q it was found from.")
    reason: Literal["compound_part", "similar_word", "partial_match"] = Field(description=(
        "compound_part: a part of a compound word names the domain; similar_word: the word is spelled like one "
        "of the domain's words; partial_match: most services here matching a single word (or part) of q serve it."
    ))


class SearchResult(BaseModel):
    service: ServiceSummary
    match: MatchLevel = Field(description=(
        "Why it matched: its areas cover the patient's buurt, wijk or gemeente; it has no areas and a location "
        "within the radius; or it has neither areas nor locations (a telephone line, an online course: "
        "anywhere), ranked last."
    ))
    distance_km: float | None = Field(description="To the nearest location; null when it has none.")
    nearest_location: LocationOut | None
    access_route: AccessRoute
    waiting_time: WaitingTime
    opening: Opening | None = Field(default=None, description="Only when open_now, open_at or open_only was asked.")
    contact: ContactOut | None = Field(description="Whom to call for this patient; never an expired contact.")
    eligibility: EligibilityVerdict | None = Field(
        default=None, description="Only when patient attributes were sent (POST)."
    )
    why: RankReason | None = Field(default=None, description="With q (or a fallback): why it ranked where it did.")


class SearchPlace(BaseModel):
    postcode: str | None
    resolved_via: Literal["pc6", "pc4"] | None
    lat: float
    lon: float
    gemeente: str | None
    wijken: list[str]
    buurten: list[str]


class SearchPage(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(SEARCH_PAGE_EXAMPLE))

    items: list[SearchResult]
    next_cursor: str | None
    limit: int
    place: SearchPlace = Field(description="Where the search was centred, as resolved.")
    fallback: Fallback | None = Field(default=None, description=(
        "Set when nothing here matches q: the items are then the services of this related need domain, "
        "each with `why.fallback` true."
    ))


class SearchRequest(SearchCriteria):
    """The POST body: the criteria plus, optionally, the patient's attributes.

    Patient attributes are used for this answer only: never stored, never logged,
    and never accepted in a URL.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=schema_examples(SEARCH_REQUEST_EXAMPLE))

    patient: PatientAttributes | None = None
    eligible_only: bool = Field(
        default=False, description="Drop results that are not certainly eligible; needs `patient`."
    )

    @field_validator("eligible_only")
    @classmethod
    def _needs_patient(cls, value: bool, info: ValidationInfo) -> bool:
        # Without attributes no result is certainly eligible. (No `patient` in data: it was
        # refused, and that error is the one to report.)
        if value and "patient" in info.data and info.data["patient"] is None:
            raise ValueError("needs the patient's attributes: send `patient` too")
        return value
