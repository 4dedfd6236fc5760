"""Configuration from the environment (prefix WIJKKAART_, or DATABASE_URL)."""

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIJKKAART_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./wijkkaart.db",
        validation_alias=AliasChoices("DATABASE_URL", "WIJKKAART_DATABASE_URL"),
        description="SQLAlchemy URL; SQLite file in the working directory by default.",
    )
    # Signs pagination cursors so a tampered cursor is recognised. Cursors only
    # point into data the caller may read anyway, so a shared default is harmless;
    # set your own to make cursors unforgeable across deployments.
    secret_key: str = "wijkkaart-development-secret"
    # The zone in which contact validity ("today") and opening hours are judged.
    timezone: str = "Europe/Amsterdam"
    # The base of the FHIR code-system and naming-system URLs (app/fhir/systems.py): a name,
    # not this server's address. Set it once, before integrators store codes.
    fhir_canonical_base: str = Field(default="https://wijkkaart.example/fhir", pattern=r"^https?://[^/\s]+(/\S*[^/\s])?$")


@lru_cache
def get_settings() -> Settings:
    return Settings()
