"""The URIs that name our code systems and the identifier systems we use.

Canonical URLs are identities, not addresses of this server: the same code must carry
the same `system` whichever host, proxy or deployment served it, or a HIS matching
`system|code` (or storing a `service-category=system|code` search) breaks when it moves
from test to production. So they are fixed per deployment, never derived from the
request: WIJKKAART_FHIR_CANONICAL_BASE (app.settings) names them. The default uses the
reserved `.example` for want of a project domain; a deployment sets a domain it controls,
once, before integrators store codes.
"""

from app.settings import get_settings

CANONICAL = get_settings().fhir_canonical_base


def code_system(name: str) -> str:
    return f"{CANONICAL}/CodeSystem/{name}"


# Slugs follow the field names of /api/v1/taxonomy and the REST resources.
NEED_DOMAIN = code_system("need-domain")  # the 13 ZRM life domains
TARGET_GROUP = code_system("target-group")
ACCESS_ROUTE = code_system("access-route")
COST = code_system("cost")
ELIGIBILITY_RULE = code_system("eligibility-rule")
AREA_KIND = code_system("area-kind")  # gemeente, wijk, buurt
CONTACT_KIND = code_system("contact-kind")

# No national NamingSystem for CBS gebiedscodes is known to us, and FHIR asks not to mint
# URIs in domains one does not control (cbs.nl), so the codes get one in ours. The GM/WK/BU
# prefix keeps gemeente, wijk and buurt codes distinct within it.
CBS_AREA_CODE = f"{CANONICAL}/NamingSystem/cbs-area-code"
# A service's external_id: the key its maintainer gave it (unique among live services).
SERVICE_EXTERNAL_ID = f"{CANONICAL}/NamingSystem/service-external-id"

# The Dutch national identifier systems as Nictiz and the NL base profiles name them.
KVK = "http://fhir.nl/fhir/NamingSystem/kvk"
AGB = "http://fhir.nl/fhir/NamingSystem/agb-z"

LANGUAGE = "urn:ietf:bcp:47"
LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
SECURITY_LABEL = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
STREET_NAME = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-streetName"
HOUSE_NUMBER = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-houseNumber"
