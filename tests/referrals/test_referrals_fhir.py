"""A referral in FHIR R4: the request as a ServiceRequest without a subject, its progress as a Task."""

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from app.referrals.fhir import DATA_ABSENT_REASON
from tests.fhir.test_fhir import assert_fhir_json
from tests.support.referral_world import World, make_world


@pytest.fixture
def world(api) -> World:
    return make_world(api)


def _read(world: World, who: str, path: str, status: int = 200) -> dict:
    response = world.api.client.get(path, headers=world.api.headers(who))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert_fhir_json(response.json())
    return response.json()


def test_a_referral_is_a_service_request_and_its_progress_a_task(world: World) -> None:
    code = world.refer(urgency="spoed", need_domains=["financien", "sociaal_netwerk"])["code"]
    request = _read(world, "practice", f"/fhir/ServiceRequest/{code}")
    ServiceRequest.model_validate(request)
    assert request["status"] == "active" and request["intent"] == "order" and request["priority"] == "urgent"
    assert request["performer"] == [{"reference": f"HealthcareService/{world.service_id}"}]
    assert request["requester"]["type"] == "Organization" and request["requester"]["display"] == "Huisartsenpraktijk Voorbeeld"
    assert request["subject"] == {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "masked"}]}
    assert [c["coding"][0]["code"] for c in request["category"]] == ["financien", "sociaal_netwerk"]

    task = _read(world, "provider", f"/fhir/Task/{code}")
    Task.model_validate(task)
    assert task["status"] == "requested" and task["businessStatus"]["coding"][0]["code"] == "verstuurd"
    assert task["basedOn"] == [{"reference": f"ServiceRequest/{code}"}]

    world.move(code, "contact_gelegd")
    assert _read(world, "practice", f"/fhir/Task/{code}")["status"] == "in-progress"
    world.move(code, "afgesloten", outcome="doorverwezen", passed_on_service_id=str(world.other_service_id))
    closed = _read(world, "practice", f"/fhir/Task/{code}")
    Task.model_validate(closed)
    assert closed["status"] == "completed" and closed["statusReason"]["coding"][0]["code"] == "doorverwezen"
    assert closed["output"][0]["valueReference"] == {"reference": f"HealthcareService/{world.other_service_id}"}
    assert ServiceRequest.model_validate(_read(world, "editor", f"/fhir/ServiceRequest/{code}")).status == "completed"


def test_only_the_practice_and_the_receiving_side_read_it(world: World) -> None:
    code = world.refer()["code"]
    for who in ("practice_b", "provider_other", "editor_other_gemeente"):
        OperationOutcome.model_validate(_read(world, who, f"/fhir/ServiceRequest/{code}", 404))
    assert world.api.client.get(f"/fhir/Task/{code}").status_code == 401
