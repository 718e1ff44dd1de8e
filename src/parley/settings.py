"""Parley's settings: one typed object built from the environment (prefix ``PARLEY_``) or arguments.

Nothing here connects to anything; the app, CLI and tests build as many ``Settings`` as they like.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

UNSAFE_SECRETS = {"", "change-me", "changeme", "secret", "parley", "dev", "test"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

    database_url: str = "sqlite:///./parley-data/parley.db"
    data_dir: Path = Path("./parley-data")
    # Identifies the log in every checkpoint and record; a schema-less URL by convention.
    log_origin: str = "parley.example.org/log"
    # Server secret: signs session cookies and wraps the custodial signing keys held for web users.
    secret_key: str = Field(default="", repr=False)
    # C2SP tlog-policy text that a checkpoint's cosignatures must satisfy before it is published.
    witness_policy: str = ""
    # Witness URLs to ask for cosignatures, "name=url" each.
    witness_urls: dict[str, str] = Field(default_factory=dict)
    publish_interval: timedelta = timedelta(seconds=1)
    session_max_age: timedelta = timedelta(hours=8)
    cookie_secure: bool = True
    # Records appended in one durable transaction at most (group commit).
    append_batch: int = 512
    max_request_bytes: int = 1 << 20
    max_upload_bytes: int = 20 << 20  # spreadsheets of persons (PARLEY_MAX_UPLOAD_BYTES)
    # Availability (docs/threat-model.md): threads that run database work, at most; the database pool
    # is sized above it. A request's headers must arrive within header_timeout and its body within
    # body_timeout (upload_timeout for spreadsheets), or the connection is closed (408 for a body).
    worker_threads: int = Field(default=40, ge=4, le=256)
    header_timeout: timedelta = timedelta(seconds=10)
    body_timeout: timedelta = timedelta(seconds=20)
    upload_timeout: timedelta = timedelta(seconds=120)
    keep_alive_timeout: timedelta = timedelta(seconds=5)
    # Requests that write (any method but GET/HEAD/OPTIONS) in progress at once: in all, and per API token
    # or session (per address without one); the rest wait their turn without holding anything.
    writes_in_flight: int = Field(default=64, ge=1, le=4096)
    writes_per_client: int = Field(default=4, ge=1, le=256)

    @field_validator("secret_key")
    @classmethod
    def _refuse_unsafe_secret(cls, value: str) -> str:
        if value.strip().lower() in UNSAFE_SECRETS or len(value) < 32:
            raise ValueError(
                "PARLEY_SECRET_KEY must be set to a random value of at least 32 characters "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return value

    @field_validator("log_origin")
    @classmethod
    def _origin_is_key_name(cls, value: str) -> str:
        if not value or any(c.isspace() or c == "+" for c in value):
            raise ValueError("log_origin must be non-empty without spaces or '+'")
        return value

    @model_validator(mode="after")
    def _positive_batch(self) -> "Settings":
        if self.append_batch < 1:
            raise ValueError("append_batch must be positive")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
