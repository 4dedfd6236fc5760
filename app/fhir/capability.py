"""GET /fhir/metadata: what this server does, generated from the Kinds the routes serve."""

from typing import Any

from app.fhir.kinds import KINDS
from app.fhir.params import DEFAULT_COUNT, MAX_COUNT

# The date this statement's content last changed (CapabilityStatement.date is required):
# move it on when the resources or search parameters change.
CAPABILITY_DATE = "2026-12-07"

DOCUMENTATION = (
    "The wijkkaart (sociale kaart) of the Dutch social domain as FHIR R4, read-only. "
    f"Search results are searchset Bundles of at most {MAX_COUNT} entries (_count, default {DEFAULT_COUNT}; "
    "_count=0 or _summary=count gives only the total), paged with _offset through the Bundle's next/previous links. "
    "Unknown search parameters are ignored and left out of the self link, unless the request says "
    "`Prefer: handling=strict`: then they are a 400. A search parameter FHIR R4 defines for a resource type but "
    "this server does not serve (listed nowhere below) is always a 400, as ignoring it would widen the match. "
    "Errors are OperationOutcomes."
)

SECURITY = (
    "Reading needs no key. A PractitionerRole's telecom (a contact person's direct lines) is shown only "
    "to professional clients sending `Authorization: Bearer <key>`; anonymous requests get it left out "
    "and meta.security REDACTED. An unknown, revoked or expired key is refused (401), not served as anonymous."
)


def capability_statement(base: str, version: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "Wijkkaart",
        "kind": "instance",
        "software": {"name": "Wijkkaart", "version": version},
        "implementation": {"description": "Wijkkaart: de sociale kaart als FHIR R4", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": DOCUMENTATION,
            "security": {"cors": False, "description": SECURITY},
            "resource": [
                {
                    "type": kind.type,
                    "profile": f"http://hl7.org/fhir/StructureDefinition/{kind.type}",
                    "interaction": [{"code": "read"}, {"code": "search-type"}],
                    "versioning": "versioned",
                    "readHistory": False,
                    "conditionalRead": "not-match",  # If-None-Match with the ETag of a read
                    **({"searchInclude": list(kind.includes)} if kind.includes else {}),
                    **({"searchRevInclude": list(kind.revincludes)} if kind.revincludes else {}),
                    "searchParam": [
                        {"name": p.name, "type": p.type, "documentation": p.documentation} for p in kind.params
                    ],
                }
                for kind in KINDS.values()
            ],
        }],
    }
