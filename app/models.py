"""Every table, imported in one place so metadata (and Alembic) sees them all."""

from sqlmodel import SQLModel

from app.areas.models import Area, Postcode4, Postcode4Buurt, Postcode6
from app.changelog.models import ChangeLogEntry, ChangeLogGemeente
from app.clients.models import ApiClient, ApiKey, ClientGemeente, ClientOrganisation
from app.contacts.models import Contact, ContactArea
from app.front_doors.models import FrontDoor
from app.locations.models import Location, OpeningException, OpeningHours
from app.monitoring.models import SearchTally
from app.organisations.models import Organisation, OrganisationOwner
from app.referrals.models import Referral, ReferralContactDays, ReferralDomain, ReferralEvent, ReferralTally
from app.replicas import ClientWritePosition
from app.reports.models import EntryReport, EntryReportGemeente
from app.search.models import (
    SearchCard,
)
from app.services.models import (
    Eligibility,
    Service,
    ServiceArea,
    ServiceLocation,
    ServiceNeedDomain,
    ServiceOwner,
    ServiceTargetGroup,
)
from app.taxonomy.models import NeedDomain, TargetGroup

metadata = SQLModel.metadata

__all__ = [
    "ApiClient",
    "ApiKey",
    "Area",
    "ChangeLogEntry",
    "ChangeLogGemeente",
    "ClientGemeente",
    "ClientOrganisation",
    "ClientWritePosition",
    "Contact",
    "ContactArea",
    "Eligibility",
    "EntryReport",
    "EntryReportGemeente",
    "FrontDoor",
    "Location",
    "NeedDomain",
    "OpeningException",
    "OpeningHours",
    "Organisation",
    "OrganisationOwner",
    "Postcode4",
    "Postcode4Buurt",
    "Postcode6",
    "Referral",
    "ReferralContactDays",
    "ReferralDomain",
    "ReferralEvent",
    "ReferralTally",
    "SearchCard",
    "SearchTally",
    "Service",
    "ServiceArea",
    "ServiceLocation",
    "ServiceNeedDomain",
    "ServiceOwner",
    "ServiceTargetGroup",
    "TargetGroup",
    "metadata",
]
