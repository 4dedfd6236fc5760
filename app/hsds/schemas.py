"""The Open Referral HSDS 3.0 objects this API emits: only the fields it fills, named as HSDS names them.

Every field that may be absent defaults to None and the routes leave None out of the JSON
(HSDS types allow no nulls). One model per HSDS object serves its list and its nested
forms: the arrays of child objects stay None (absent) where a shape carries only the
one-to-one fields, as `*_list.json` prescribes.
"""

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.fields import schema_examples
from app.pagination import page_examples

T = TypeVar("T")
Status = Literal["active", "inactive", "defunct", "temporarily closed"]


_ORGANIZATION_EXAMPLE = {
    "id": "05757a36-617b-4498-acfe-7b4f47bdb4e6",
    "name": "Stichting Welzijn Voorbeeld Walcheren",
    "description": "Welzijnswerk (fictief) voor de drie Walcherse gemeenten.",
    "email": "info@welzijn-voorbeeld.example",
    "website": "https://welzijn-voorbeeld.example/",
}
_SERVICE_EXAMPLE = {
    "id": "ab90fe43-31fa-46e8-bf12-0b335887934f",
    "organization_id": "05757a36-617b-4498-acfe-7b4f47bdb4e6",
    "name": "Schuldhulpverlening Walcheren",
    "description": "Hulp bij geldzaken en schulden: een budgetcoach brengt de situatie in kaart en regelt betalingen.",
    "status": "active",
    "application_process": "Toegang: Vrij toegankelijk.",
    "fees_description": "Gratis.",
    "minimum_age": 18,
    "assured_date": "2026-09-20",
    "last_modified": "2026-10-01T08:12:40+00:00",
    "organization": _ORGANIZATION_EXAMPLE,
}
_LOCATION_EXAMPLE = {
    "id": "7dda06e9-ebd7-4a6a-b70b-c55f8197b4f8", "location_type": "physical",
    "organization_id": "05757a36-617b-4498-acfe-7b4f47bdb4e6", "name": "Buurthuis De Voorbeeldhoek",
    "latitude": 51.497557, "longitude": 3.611082,
}
_TAXONOMY_EXAMPLE = {
    "id": "748362bb-8fae-5650-ab29-e4ce4ddfbb1c", "name": "zrm",
    "description": "De 13 levensdomeinen van de Zelfredzaamheid-Matrix (ZRM): waar een hulpvraag over gaat.",
}
_TERM_EXAMPLE = {
    "id": "be993933-dcb4-56bb-b3f0-99de1c39b6a4", "code": "financien", "name": "Financiën", "description": "Finances",
    "taxonomy": "zrm", "taxonomy_id": "748362bb-8fae-5650-ab29-e4ce4ddfbb1c", "language": "nl",
}


class HsdsApiDetails(BaseModel):
    """The `/` endpoint: how this API relates to HSDS."""

    model_config = ConfigDict(json_schema_extra=schema_examples({
        "version": "3.0", "profile": "https://docs.openreferral.org/en/3.0/",
        "openapi_url": "https://wijkkaart.example/openapi.json",
    }))

    version: str = Field(examples=["3.0"], description="HSDS version of this API.")
    profile: str = Field(description="URL of the HSDS profile this API follows (none: the specification itself).")
    openapi_url: str = Field(description="URL of the OpenAPI document that defines this API.")


class HsdsPage(BaseModel, Generic[T]):
    """The HSDS page envelope: page-number paging."""

    model_config = ConfigDict(json_schema_extra=lambda schema, page: page_examples(schema, page, "contents", {
        "total_items": 58, "total_pages": 58, "page_number": 1, "per_page": 1, "size": 1,
        "first_page": True, "last_page": False, "empty": False,
    }))

    total_items: int = Field(description="Entities matching the request, on all pages.")
    total_pages: int = Field(description="Pages of `per_page` entities; 0 when nothing matches.")
    page_number: int = Field(description="This page's number, from 1.")
    per_page: int = Field(description="Entities per page as applied: the `per_page` asked for, at most 100.")
    size: int = Field(description="Entities on this page.")
    first_page: bool
    last_page: bool
    empty: bool = Field(description="True when this page holds no entities.")
    contents: list[T]


class HsdsTaxonomy(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(_TAXONOMY_EXAMPLE))

    id: str = Field(description="A stable UUID derived from the short name.")
    name: str = Field(examples=["zrm"], description="Short name; also accepted as `taxonomy_id`.")
    description: str
    version: str | None = None


class HsdsTaxonomyTerm(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(_TERM_EXAMPLE))

    id: str
    code: str = Field(examples=["financien"], description="The code this API uses elsewhere (/api/v1).")
    name: str = Field(examples=["Financiën"])
    description: str
    taxonomy: str = Field(examples=["zrm"], description="Short name of the taxonomy.")
    taxonomy_id: str
    language: str = "nl"


class HsdsAttribute(BaseModel):
    """Links a service to a taxonomy term."""

    id: str
    link_id: str
    link_type: str = Field(examples=["need", "audience", "eligibility"])
    link_entity: str = "service"
    taxonomy_term_id: str
    taxonomy_term: HsdsTaxonomyTerm


class HsdsPhone(BaseModel):
    id: str
    organization_id: str | None = None
    contact_id: str | None = None
    number: str = Field(examples=["0118 612 345"])
    type: str = "voice"


class HsdsContact(BaseModel):
    """A named contact person; email and phones only for clients that may see direct lines."""

    id: str
    organization_id: str | None = None
    service_id: str | None = None
    name: str
    title: str | None = None
    email: str | None = None
    phones: list[HsdsPhone] = Field(default_factory=list)


class HsdsLanguage(BaseModel):
    id: str
    service_id: str
    code: str = Field(examples=["nl"], description="ISO 639-1.")
    name: str | None = None


class HsdsServiceArea(BaseModel):
    id: str
    service_id: str
    name: str = Field(examples=["Middelburg"])
    description: str = Field(examples=["Gemeente Middelburg (CBS-code GM0687)"])
    uri: str = Field(description="This API's resource of the CBS area.")


class HsdsSchedule(BaseModel):
    """Weekly hours as an RFC 5545 rule: freq WEEKLY, byday, opens_at, closes_at (local time)."""

    id: str
    location_id: str
    freq: Literal["WEEKLY"] = "WEEKLY"
    wkst: Literal["MO"] = "MO"
    byday: str = Field(examples=["MO,TU,WE,TH,FR"])
    opens_at: str = Field(examples=["09:00"])
    closes_at: str = Field(examples=["12:30"])
    description: str
    notes: str | None = Field(default=None, description="Dated exceptions (closures, other hours) from today on.")


class HsdsAddress(BaseModel):
    id: str
    location_id: str
    address_1: str
    city: str
    state_province: str
    postal_code: str
    country: str = "NL"
    address_type: Literal["physical"] = "physical"


class HsdsAccessibility(BaseModel):
    id: str
    location_id: str
    description: str


class HsdsLocation(BaseModel):
    id: str
    location_type: Literal["physical"] = "physical"
    organization_id: str | None = None
    name: str
    latitude: float
    longitude: float
    addresses: list[HsdsAddress] | None = None
    accessibility: list[HsdsAccessibility] | None = None
    schedules: list[HsdsSchedule] | None = None


class HsdsOrganizationIdentifier(BaseModel):
    id: str
    organization_id: str
    identifier_scheme: str | None = Field(default=None, examples=["NL-KVK"])
    identifier_type: str = Field(examples=["KvK-nummer"])
    identifier: str


class HsdsServiceAtLocation(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples({
        "id": "8a751a92-3160-5c4e-9581-f0dae79daa49", "service_id": _SERVICE_EXAMPLE["id"],
        "location_id": _LOCATION_EXAMPLE["id"], "location": _LOCATION_EXAMPLE, "service": _SERVICE_EXAMPLE,
    }))

    id: str = Field(description="A stable UUID derived from the service and location ids.")
    service_id: str
    location_id: str
    contacts: list[HsdsContact] | None = None
    location: HsdsLocation | None = None
    service: "HsdsService | None" = None


class HsdsService(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(_SERVICE_EXAMPLE))

    id: str
    organization_id: str | None = None
    name: str
    description: str | None = None
    status: Status
    application_process: str | None = None
    fees_description: str | None = None
    wait_time: str | None = None
    eligibility_description: str | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    assured_date: str | None = Field(default=None, description="The date the entry was last verified.")
    last_modified: str | None = None
    organization: "HsdsOrganization | None" = None
    contacts: list[HsdsContact] | None = None
    languages: list[HsdsLanguage] | None = None
    service_areas: list[HsdsServiceArea] | None = None
    service_at_locations: list[HsdsServiceAtLocation] | None = None
    attributes: list[HsdsAttribute] | None = None


class HsdsOrganization(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples(_ORGANIZATION_EXAMPLE))

    id: str
    name: str
    description: str
    email: str | None = None
    website: str | None = None
    phones: list[HsdsPhone] | None = None
    contacts: list[HsdsContact] | None = None
    locations: list[HsdsLocation] | None = None
    organization_identifiers: list[HsdsOrganizationIdentifier] | None = None
    services: list[HsdsService] | None = None


HsdsServiceAtLocation.model_rebuild()
HsdsService.model_rebuild()
