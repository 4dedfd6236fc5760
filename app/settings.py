"""Configuration from the environment (prefix WIJKKAART_, or DATABASE_URL)."""

from functools import lru_cache
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIJKKAART_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./wijkkaart.db",
        validation_alias=AliasChoices("DATABASE_URL", "WIJKKAART_DATABASE_URL"),
        description="SQLAlchemy URL; SQLite file in the working directory by default.",
    )
    # Signs cursors and keys their scopes (app/pagination.py): whoever knows it can forge a
    # cursor and test a search cursor's scope against guessed patient values. There is no
    # default: the app refuses to start without one (require_secret); `wijkkaart serve` on a
    # loopback address makes one up for its own run.
    secret_key: str | None = None
    # The zone in which contact validity ("today") and opening hours are judged.
    timezone: str = "Europe/Amsterdam"
    # The base of the FHIR code-system and naming-system URLs (app/fhir/systems.py): a name,
    # not this server's address. Set it once, before integrators store codes.
    fhir_canonical_base: str = Field(default="https://wijkkaart.example/fhir", pattern=r"^https?://[^/\s]+(/\S*[^/\s])?$")
    # Per worker process: the search response cache's size (app/search/cache.py); 0 turns it off.
    search_cache_mb: int = 32
    # Referrals (app/referrals): flagged niet_opgepakt when nobody acknowledged one within
    # this many working days; deleted by `wijkkaart referrals purge` after this many months.
    referral_acknowledge_working_days: int = Field(default=5, ge=1, le=60)
    referral_retention_months: int = Field(default=13, ge=1, le=120)
    # Per worker process: searches computed at once (the rest wait their turn). A search is
    # ranked in Python (app/search/memory.py): past two threads (one in Python while another
    # waits on the database) they only take the GIL from each other, on both databases. At
    # 200,000 services on PostgreSQL, 2,000 distinct searches took 15-16 s on 2 threads
    # against 24-28 s on 8, and each thread kept some 15 MB more of the worker's memory.
    search_threads: int = Field(default=2, ge=1)

    # --- The database, and how long anything may wait for it (seconds). Every wait is
    # bounded, so that during an outage a request gets a 503 instead of hanging.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout: float = Field(default=5.0, gt=0, description="Wait for a free pooled connection.")
    db_connect_timeout: int = Field(default=3, ge=2, description="Open a connection (libpq allows no less than 2).")
    db_statement_timeout: float = Field(
        default=10.0, ge=0,
        description="One statement, enforced by PostgreSQL; the client gives up 2 s later if no answer comes. 0: off.",
    )
    db_idle_in_transaction_timeout: float = Field(
        default=60.0, ge=0,
        description="PostgreSQL ends a session whose transaction sat idle this long (a client that crashed or hung "
        "with a transaction open would otherwise hold its locks, and every writer behind them, for ever). 0: off.",
    )
    db_prepared_statements: bool = Field(
        default=True,
        description="PostgreSQL: prepare a statement once a connection has run it five times (psycopg's default). "
        "Off only behind a pooler that cannot keep them, such as PgBouncer older than 1.21 in transaction mode.",
    )
    max_queued_requests: int = Field(
        default=150, ge=0,
        description="Per worker process: requests waiting for their turn at the database (at most db_pool_size use "
        "it at once) without holding a connection or a thread; past this many, a request gets 503 at once.",
    )
    retry_after_seconds: int = Field(
        default=5, ge=1, description="Retry-After of a 503 while the database is away or too many requests wait."
    )
    # --- Read replicas: PostgreSQL streaming standbys of the primary (docs/operations.md, "More workers,
    # more machines"). Requests that only read go to a replica in rotation; writes, and reads in a request
    # that writes, to the primary.
    read_database_urls: Annotated[list[str], NoDecode] = Field(
        default=[], description="Replica URLs, comma-separated; empty: every request uses the primary."
    )
    read_replica_max_lag_seconds: float = Field(
        default=10.0, gt=0, description="A replica further behind the primary than this is out of rotation."
    )
    read_replica_check_seconds: float = Field(
        default=1.0, gt=0, description="How often each database is asked whether it answers and how far it replayed."
    )
    health_timeout: float = Field(default=2.0, gt=0, description="How long /health/ready waits for the database.")

    # --- Limits
    max_body_bytes: int = Field(default=1 * MIB, ge=0, description="Request body limit; 0: none.")
    max_import_body_bytes: int = Field(default=100 * MIB, ge=0, description="The same for POST /api/v1/import.")
    # Anonymous searches per client address, in the `limits` notation ("60/minute", "10/second");
    # empty turns the limit off. Callers with an API key are not limited.
    search_rate_limit: str = "60/minute"
    # Where the rate limiter counts: per process by default; a shared store (async+redis://host)
    # makes one budget across workers and machines.
    rate_limit_storage: str = "async+memory://"
    # Origins allowed to call the API from a browser (HIS web plugins), comma-separated; "*" for any.
    cors_origins: Annotated[list[str], NoDecode] = []

    # --- Observability
    metrics_enabled: bool = True
    # /metrics answers only `Authorization: Bearer <this token>` (Prometheus: `authorization:
    # credentials`); unset, /metrics is not served: it stays off the public surface.
    metrics_token: str | None = Field(default=None, min_length=16)
    log_json: bool = True
    log_level: str = "INFO"
    # Per worker process: after this many requests, freeze what they built for good (app/ops/collector.py); 0: never.
    gc_freeze_after_requests: int = Field(default=200, ge=0)

    @field_validator("cors_origins", "read_database_urls", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value


class SecretMissing(RuntimeError):
    """No WIJKKAART_SECRET_KEY: the app has nothing to sign its cursors with."""


SECRET_HELP = (
    "WIJKKAART_SECRET_KEY is not set. It signs cursors and hides a search cursor's patient values; "
    "set it to a long random value, the same for every worker and machine and kept across restarts "
    "(so that cursors, such as a sync client's, stay valid), e.g. "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`."
)


def require_secret(settings: Settings) -> None:
    if not settings.secret_key:
        raise SecretMissing(SECRET_HELP)


@lru_cache
def get_settings() -> Settings:
    return Settings()
