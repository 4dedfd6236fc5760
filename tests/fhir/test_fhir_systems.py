"""The canonical base of the FHIR code systems is a setting: one name per deployment, never the request's host."""

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from app.fhir import systems
from app.settings import Settings


def test_the_default_base_names_every_code_system_and_the_cbs_naming_system() -> None:
    assert Settings().fhir_canonical_base == "https://wijkkaart.example/fhir"
    assert f"{systems.CANONICAL}/CodeSystem/need-domain" == systems.NEED_DOMAIN
    assert f"{systems.CANONICAL}/NamingSystem/cbs-area-code" == systems.CBS_AREA_CODE


def test_a_deployment_sets_its_own_base() -> None:
    # Read at start-up, as the app reads it: a fresh interpreter with the variable set.
    environment = {**os.environ, "WIJKKAART_FHIR_CANONICAL_BASE": "https://sociale-kaart.walcheren.nl/fhir"}
    printed = subprocess.run(
        [sys.executable, "-c", "from app.fhir import systems; print(systems.NEED_DOMAIN, systems.CBS_AREA_CODE)"],
        env=environment, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert printed == [
        "https://sociale-kaart.walcheren.nl/fhir/CodeSystem/need-domain",
        "https://sociale-kaart.walcheren.nl/fhir/NamingSystem/cbs-area-code",
    ]


@pytest.mark.parametrize("base", ["wijkkaart.nl/fhir", "https://wijkkaart.nl/fhir/", "https://", "ftp://wijkkaart.nl"])
def test_a_base_that_would_make_broken_urls_is_refused_at_start(base: str) -> None:
    with pytest.raises(ValidationError):
        Settings(fhir_canonical_base=base)
