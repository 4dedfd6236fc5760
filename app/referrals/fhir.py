"""A referral as FHIR R4: the request as a ServiceRequest, its progress as a Task.

Neither carries a patient: ServiceRequest.subject (required by FHIR) holds only the
data-absent-reason `masked`, since the practice's own system links the code to its patient.
The practice is the requester, named by its API client (no Organization resource in the
catalogue describes it). The dated steps are in the REST API only (GET /api/v1/referrals/{code}).
"""

from typing import Any

from app.fhir import systems
from app.fhir.mapping import concept, instant, prune, reference
from app.referrals.schemas import Outcome, ReferralOut, Status

REFERRAL_CODE = f"{systems.CANONICAL}/NamingSystem/referral-code"
API_CLIENT = f"{systems.CANONICAL}/NamingSystem/api-client"
REFERRAL_STATUS = systems.code_system("referral-status")
REFERRAL_OUTCOME = systems.code_system("referral-outcome")
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

_PRIORITY = {"normaal": "routine", "spoed": "urgent"}
_TASK_STATUS = {
    Status.verstuurd: "requested", Status.ontvangen: "received", Status.contact_gelegd: "in-progress",
    Status.intake_gedaan: "in-progress",
}
_CLOSED_TASK_STATUS = {
    Outcome.geholpen: "completed", Outcome.doorverwezen: "completed", Outcome.past_niet: "rejected",
    Outcome.niet_bereikt: "failed", Outcome.afgezien: "cancelled",
}


def _requester(practice_id: object, practice_name: str) -> dict[str, Any]:
    return {"type": "Organization", "identifier": {"system": API_CLIENT, "value": str(practice_id)},
            "display": practice_name}


def service_request(referral: ReferralOut, practice_id: object, practice_name: str) -> dict[str, Any]:
    return prune({
        "resourceType": "ServiceRequest",
        "id": referral.code,
        "meta": {"lastUpdated": instant(referral.updated_at)},
        "identifier": [{"system": REFERRAL_CODE, "value": referral.code}],
        "status": "completed" if referral.status == Status.afgesloten else "active",
        "intent": "order",
        "priority": _PRIORITY[referral.urgency],
        "category": [concept(systems.NEED_DOMAIN, code) for code in referral.need_domains],
        "subject": {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "masked"}]},
        "authoredOn": instant(referral.created_at),
        "requester": _requester(practice_id, practice_name),
        "performer": [reference("HealthcareService", referral.service_id)],
    })


def task(referral: ReferralOut, practice_id: object, practice_name: str) -> dict[str, Any]:
    status = (_CLOSED_TASK_STATUS[referral.outcome] if referral.outcome else _TASK_STATUS[referral.status])
    passed_on = referral.passed_on_service_id
    return prune({
        "resourceType": "Task",
        "id": referral.code,
        "meta": {"lastUpdated": instant(referral.updated_at)},
        "identifier": [{"system": REFERRAL_CODE, "value": referral.code}],
        "basedOn": [{"reference": f"ServiceRequest/{referral.code}"}],
        "status": status,
        "businessStatus": concept(REFERRAL_STATUS, referral.status),
        "statusReason": concept(REFERRAL_OUTCOME, referral.outcome) if referral.outcome else None,
        "intent": "order",
        "priority": _PRIORITY[referral.urgency],
        "focus": {"reference": f"ServiceRequest/{referral.code}"},
        "authoredOn": instant(referral.created_at),
        "lastModified": instant(referral.updated_at),
        "executionPeriod": {"start": instant(referral.acknowledged_at)} if referral.acknowledged_at else None,
        "requester": _requester(practice_id, practice_name),
        "owner": reference("HealthcareService", referral.service_id),
        "output": [{"type": concept(REFERRAL_OUTCOME, Outcome.doorverwezen),
                    "valueReference": reference("HealthcareService", passed_on)}] if passed_on else None,
    })
