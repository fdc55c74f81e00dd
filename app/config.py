"""Settings: one class, read once, from MOU_* environment variables or a .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - documented default for local runs only


class Settings(BaseSettings):
    """All configuration of the service; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="MOU_", env_file=".env", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Path("./data")
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = False

    mail_backend: Literal["file", "smtp", "console", "memory"] = "file"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = 30.0
    from_address: str = "MOU Assistant <assistant@mou-assistant.example>"
    inbound_address: str = "mou@inbound.mou-assistant.example"
    internal_domains: Annotated[list[str], NoDecode] = Field(default_factory=list)

    webhook_max_bytes: int = 30 * 1024 * 1024
    webhook_tolerance_seconds: int = 300
    sendgrid_public_key: str | None = None
    sendgrid_webhook_user: str | None = None
    sendgrid_webhook_password: SecretStr | None = None
    mailgun_signing_key: SecretStr | None = None
    postmark_webhook_user: str | None = None
    postmark_webhook_password: SecretStr | None = None
    ses_topic_arns: Annotated[list[str], NoDecode] = Field(default_factory=list)
    webhook_secret: SecretStr | None = None
    mime_webhook_user: str | None = None
    mime_webhook_password: SecretStr | None = None

    worker_in_process: bool = True
    worker_poll_seconds: float = 1.0
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 30.0
    login_rate_per_minute: int = 10
    webhook_rate_per_minute: int = 600

    @field_validator("internal_domains", "ses_topic_arns", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        """Accept a comma list in the environment as well as a JSON list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        """The configured database, or SQLite under the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mou.db').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        """Where the `file` mail backend writes .eml files."""
        return self.data_dir / "outbox"

    @property
    def sns_cert_dir(self) -> Path:
        """On-disk cache of SNS signing certificates."""
        return self.data_dir / "sns-certs"

    @property
    def inbound_domain(self) -> str:
        """Domain part of the assistant's own inbound address."""
        return self.inbound_address.rsplit("@", 1)[-1].lower()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
