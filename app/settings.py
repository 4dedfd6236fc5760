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
    # Per worker process: the search response cache's size (app/search/cache.py); 0 turns it off.
    search_cache_mb: int = 32


@lru_cache
def get_settings() -> Settings:
    return Settings()
