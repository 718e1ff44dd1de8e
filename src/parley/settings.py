"""Parley's settings: one typed object built from the environment (prefix ``PARLEY_``) or arguments.

Nothing here connects to anything; the app, CLI and tests build as many ``Settings`` as they like.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Literal

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
    # Members ("party/handle", comma-separated) whose mirrors may fetch payload bundles (``/log/payloads/…``):
    # each must also be a mediator's auditor. Empty: no mirror reads payloads (docs/operations.md, "Mirrors").
    mirror_members: str = ""
    # The log's self-check (log/selfcheck.py): when the server starts (it refuses to start if the check
    # fails), then every interval in the background (0 turns the schedule off).
    self_check_on_start: bool = True
    self_check_interval: timedelta = timedelta(hours=1)
    # Signed checkpoints that are not published, not cosigned, not the newest and not the first of their
    # hour are deleted after this long, after a clean self-check (docs/operations.md; 0 keeps them all).
    checkpoint_retention: timedelta = timedelta(days=7)
    # Retention of personal data (``parley retention report``), in days by person category (pow, civilian,
    # missing, deceased): a person whose case is closed (released, repatriated, remains returned) and whose
    # last record is older than this is due for destruction by its reporting party's admin (a signed
    # ``person.destroy``). A category not named is kept without limit. JSON: {"civilian": 3650}.
    retention_days: dict[str, int] = Field(default_factory=dict)
    # Web sessions live in the database: a session ends at sign-out, after session_max_age from sign-in,
    # or after session_idle_timeout without a request, whichever comes first.
    session_max_age: timedelta = timedelta(hours=8)
    session_idle_timeout: timedelta = timedelta(hours=1)
    cookie_secure: bool = True
    # One line per request on the server's output (``asgi.AccessLog``): method, path without its query,
    # status and time taken; never an address, a header, a query or a body.
    access_log: bool = True
    # Failed sign-ins counted per member and per client address (IPv6: per /64) in a sliding window;
    # at the limit, sign-in is refused (429) until the oldest counted failure leaves the window.
    signin_failures_per_member: int = 10
    signin_failures_per_address: int = 20
    signin_failure_window: timedelta = timedelta(minutes=15)
    # Argon2id for passwords and families' secrets: RFC 9106's second recommended profile (t=3, 64 MiB, p=4,
    # argon2-cffi's default). Lower only where nothing real is protected (the test suite sets the cheapest).
    password_hash_time_cost: int = Field(default=3, ge=1, le=32)
    password_hash_memory_kib: int = Field(default=64 * 1024, ge=1024, le=4 * 1024 * 1024)
    password_hash_parallelism: int = Field(default=4, ge=1, le=64)
    # Argon2 hashes at once in this process (64 MiB each), requests that may wait for one, and how long.
    password_hash_slots: int = 2
    password_hash_queue: int = 8
    password_hash_wait: timedelta = timedelta(seconds=3)
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed,
    # comma-separated (PARLEY_TRUSTED_PROXIES="10.0.0.5,10.1.0.0/16"). Empty: no proxy header is believed.
    trusted_proxies: str = ""
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
    # How long a request may trust the cached member behind an API token or a session (``parties.principal
    # .Principals``). Changes this server makes (a member deactivated, roles changed, a token replaced) clear
    # the cache at once; the bound is for changes another process makes to the same database. 0: no cache.
    principal_cache: timedelta = timedelta(seconds=2)
    # Families told that there is news on their inquiry (``people.notify``): "log" writes a line naming the
    # inquiry and sends nothing (the default, and the demo's); "smtp" sends e-mail through the server below to
    # the families that asked for it; "off" keeps the notices unsent. A message carries the reference and
    # public_url (where the family page is, e.g. https://parley.example.org), nothing personal.
    notify_sender: Literal["off", "log", "smtp"] = "log"
    notify_interval: timedelta = timedelta(seconds=5)
    public_url: str = ""
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = ""
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = Field(default="", repr=False)

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

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in _items(value):
            if item == "*":
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"PARLEY_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
        return ",".join(_items(value))

    @model_validator(mode="after")
    def _positive_batch(self) -> Settings:
        if self.append_batch < 1:
            raise ValueError("append_batch must be positive")
        for name in ("signin_failures_per_member", "signin_failures_per_address", "password_hash_slots"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if self.password_hash_queue < 0:
            raise ValueError("password_hash_queue must not be negative")
        if self.notify_sender == "smtp" and not (self.smtp_host and "@" in self.smtp_from):
            raise ValueError("PARLEY_NOTIFY_SENDER=smtp needs PARLEY_SMTP_HOST and PARLEY_SMTP_FROM (an address)")
        for name in ("session_max_age", "session_idle_timeout", "signin_failure_window", "notify_interval"):
            if getattr(self, name).total_seconds() <= 0:
                raise ValueError(f"{name} must be positive")
        return self

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _items(self.trusted_proxies)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _items(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()]
