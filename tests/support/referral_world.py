"""The keys and entries the referral, report and monitoring tests share, on the demo region."""

import uuid
from dataclasses import dataclass

from sqlmodel import Session, select

from app.contacts.models import Contact
from app.organisations.models import Organisation
from app.services.models import Service, ServiceOwner
from tests.conftest import MIDDELBURG, Api
from tests.support.factories import make_key

WIJKTEAM = "Stichting Sociaal Wijkteam Fictief Middelburg"
LOKET = "Loket Voorbeeldzorg Middelburg"


@dataclass
class World:
    api: Api
    service_id: uuid.UUID  # a Middelburg service of the wijkteam, for which `editor_other_organisation` acts
    contact_id: uuid.UUID  # a current contact of that service
    other_service_id: uuid.UUID  # a Middelburg service of another organisation

    def post(self, who: str, path: str, body: dict) -> object:
        return self.api.client.post(path, json=body, headers=self.api.headers(who))

    def get(self, who: str, path: str, **params: object) -> object:
        return self.api.client.get(path, params=params, headers=self.api.headers(who))

    def refer(self, who: str = "practice", **fields: object) -> dict:
        body = {"service_id": str(self.service_id), "need_domains": ["financien"], **fields}
        response = self.post(who, "/api/v1/referrals", body)
        assert response.status_code == 201, response.text
        return response.json()

    def move(self, code: str, status: str, who: str = "provider", **fields: object) -> object:
        return self.post(who, f"/api/v1/referrals/{code}/status", {"status": status, **fields})


def make_world(api: Api) -> World:
    """The api fixture's keys, plus a second practice and a provider of another organisation:
    `practice` / `practice_b`, `provider` (the wijkteam's key) / `provider_other` (the loket's),
    `editor` (Middelburg) / `editor_other_gemeente` (Vlissingen)."""
    with Session(api.engine) as session, session.begin():
        organisations = dict(session.exec(select(Organisation.name, Organisation.id)).all())
        owned = select(ServiceOwner.service_id).where(ServiceOwner.gemeente_code == MIDDELBURG)
        services = {
            name: session.exec(select(Service.id).where(
                Service.organisation_id == organisations[name], Service.id.in_(owned), Service.deleted_at.is_(None),
            ).order_by(Service.name)).first()
            for name in (WIJKTEAM, LOKET)
        }
        contact_id = session.exec(select(Contact.id).where(Contact.service_id == services[WIJKTEAM])).first()
        if contact_id is None:
            contact_id = session.exec(select(Contact.id).where(Contact.organisation_id == organisations[WIJKTEAM])).first()
        api.keys["practice_b"] = make_key(session, "Huisartsenpraktijk Ander", "practice")
        api.keys["provider_other"] = make_key(
            session, "Loket Middelburg", "editor", (MIDDELBURG,), (str(organisations[LOKET]),)
        )
    api.keys["provider"] = api.keys["editor_other_organisation"]
    assert services[WIJKTEAM] and services[LOKET] and contact_id
    return World(api, services[WIJKTEAM], contact_id, services[LOKET])
