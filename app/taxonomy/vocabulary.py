"""Closed vocabularies fixed by law or by this API (need domains and target groups are tables)."""

from enum import StrEnum


class StatutoryRoute(StrEnum):
    """The statutory routes a front door can be for, besides the ZRM domains."""

    wmo_2015 = "wmo_2015"
    jeugdwet = "jeugdwet"
    participatiewet = "participatiewet"
    wgs = "wgs"


STATUTORY_ROUTE_LABELS = {
    StatutoryRoute.wmo_2015: ("Wmo 2015", "Social Support Act 2015"),
    StatutoryRoute.jeugdwet: ("Jeugdwet", "Youth Act"),
    StatutoryRoute.participatiewet: ("Participatiewet", "Participation Act"),
    StatutoryRoute.wgs: ("Wgs schuldhulpverlening", "Municipal Debt Counselling Act"),
}


class AccessRoute(StrEnum):
    """How a resident gets in (toegang)."""

    vrij_toegankelijk = "vrij_toegankelijk"
    via_huisarts = "via_huisarts"
    via_wijkteam = "via_wijkteam"
    met_beschikking = "met_beschikking"


ACCESS_ROUTE_LABELS = {
    AccessRoute.vrij_toegankelijk: ("Vrij toegankelijk", "Open access (self-referral)"),
    AccessRoute.via_huisarts: ("Via huisarts of POH", "Referral by the GP or practice nurse"),
    AccessRoute.via_wijkteam: ("Via het wijkteam", "Through the neighbourhood social team"),
    AccessRoute.met_beschikking: ("Met beschikking", "Only with a municipal decision"),
}


class HouseholdType(StrEnum):
    alleenstaand = "alleenstaand"
    alleenstaande_ouder = "alleenstaande_ouder"
    paar_zonder_kinderen = "paar_zonder_kinderen"
    paar_met_kinderen = "paar_met_kinderen"
    inwonend_kind = "inwonend_kind"


HOUSEHOLD_TYPE_LABELS = {
    HouseholdType.alleenstaand: ("Alleenstaand", "Single"),
    HouseholdType.alleenstaande_ouder: ("Alleenstaande ouder", "Single parent"),
    HouseholdType.paar_zonder_kinderen: ("Paar zonder kinderen", "Couple without children"),
    HouseholdType.paar_met_kinderen: ("Paar met kinderen", "Couple with children"),
    HouseholdType.inwonend_kind: ("Inwonend (meerderjarig) kind", "Adult child living at home"),
}


class Cost(StrEnum):
    free = "free"
    own_contribution = "own_contribution"


class ServiceStatus(StrEnum):
    active = "active"
    paused = "paused"
    ended = "ended"
