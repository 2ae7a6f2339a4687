"""The one ``Settings`` object: environment variables prefixed ``SECONDROUND_``.

``mode=sandbox`` (the default) talks to the local stand-ins under ``sandbox/``; ``mode=live``
talks to Twilio, SMTP and CalDAV and refuses to start with missing or placeholder secrets.
"""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import SettingsError

_PLACEHOLDERS = {"", "changeme", "change-me", "placeholder", "secret", "xxx", "todo", "sandbox"}


def is_placeholder(value: str) -> bool:
    """An unset or made-up secret ("changeme", "todo", ...): live mode refuses it."""
    return value.strip().lower() in _PLACEHOLDERS


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SECONDROUND_", env_file=None, extra="ignore")

    mode: Literal["sandbox", "live"] = Field(default="sandbox", description="sandbox: local stand-ins")
    state_dir: Path = Field(default=Path(".secondround"), description="Where sandbox peers and locks live")
    state_url: str = Field(
        default="",
        description="postgresql://... : claims, the mail journal, call pacing and the inbox shared by every machine;"
        " unset: files and SQLite under state_dir (one machine)",
    )
    time_scale: float = Field(
        default=1.0, gt=0, description="Divide every business wait by this (the demo compresses 24 h to seconds)"
    )
    contact_from: time = Field(default=time(8), description="No call or text before this, on her clock")
    contact_until: time = Field(default=time(21), description="No call or text after this, on her clock")
    public_base_url: str = Field(default="http://127.0.0.1:8000", description="Where Twilio and links reach web/")
    link_signing_key: SecretStr = Field(default=SecretStr("sandbox"), description="Signs confirm links")
    recruiter_api_token: SecretStr = Field(
        default=SecretStr("sandbox"), description="Bearer token for recording a reply through web/ (recruiters)"
    )

    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_from_number: str = ""
    twilio_api_base_url: str | None = Field(
        default=None, description="Override the Twilio API endpoint (the sandbox's URL); unset means Twilio"
    )
    twilio_calls_per_second: float = Field(
        default=1.0, gt=0, description="Outbound calls per second across every run (Twilio's default CPS is 1)"
    )
    twilio_timeout_seconds: float = Field(default=15.0, gt=0, description="Give up on one Twilio request after this")
    call_ring_seconds: int = Field(
        default=30, ge=15, le=600, description="Let it ring this long, so her voicemail can pick up"
    )
    call_patience_seconds: float = Field(
        default=600.0, gt=0, description="Longest a call may take from dialling to hanging up before we stop waiting"
    )

    smtp_host: str = Field(default="127.0.0.1", description="Your mail provider's submission host")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="587 for STARTTLS, 465 for TLS")
    smtp_security: Literal["starttls", "tls", "plain"] = Field(
        default="starttls",
        description="starttls or tls encrypt before logging in; plain sends in clear and must be chosen explicitly",
    )
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_ca_file: Path | None = Field(
        default=None, description="Trust this CA instead of the system's (a private relay, the sandbox)"
    )
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, description="Give up on one SMTP exchange after this")
    smtp_connections: int = Field(default=2, ge=1, le=20, description="Connections kept open per worker process")
    smtp_from: str = Field(default="recruiting@secondround.example", description="Sender address of every email")

    caldav_url: str = Field(
        default="", description="Base collection for staff and room calendars the round file gives no URL for"
    )
    caldav_username: str = ""
    caldav_password: SecretStr = SecretStr("")
    caldav_timeout_seconds: float = Field(default=30.0, gt=0, description="Give up on one CalDAV request after this")
    caldav_create_missing: bool = Field(
        default=False, description="Create a calendar that does not exist yet (the sandbox); otherwise it is an error"
    )

    graph_tenant_id: str = Field(
        default="", description="Microsoft 365 tenant (directory) id, for microsoft: calendars"
    )
    graph_client_id: str = Field(default="", description="The app registration's client id")
    graph_client_secret: SecretStr = SecretStr("")
    graph_client_certificate_file: Path | None = Field(
        default=None, description="The app's certificate and its private key (PEM), instead of the client secret"
    )
    graph_authority_url: str = Field(default="https://login.microsoftonline.com", description="Where tokens come from")
    graph_api_url: str = Field(default="https://graph.microsoft.com/v1.0", description="Microsoft Graph's endpoint")
    graph_ca_file: Path | None = Field(default=None, description="Trust this CA for Graph and its tokens (the sandbox)")
    graph_timeout_seconds: float = Field(default=30.0, gt=0, description="Give up on one Graph request after this")

    google_service_account_file: Path | None = Field(
        default=None, description="The service account's key (JSON), with domain-wide delegation, for google: calendars"
    )
    google_service_account_json: SecretStr = Field(
        default=SecretStr(""), description="The service account's key itself (JSON), instead of its file"
    )
    google_delegate: str = Field(default="", description="The user a resource (room) calendar is reached as")
    google_oauth_client_id: str = Field(default="", description="An OAuth client, for a user's refresh token")
    google_oauth_client_secret: SecretStr = SecretStr("")
    google_refresh_token: SecretStr = Field(
        default=SecretStr(""), description="A user's refresh token, instead of a service account: acts as that user"
    )
    google_token_url: str = Field(default="https://oauth2.googleapis.com/token", description="Where a refresh goes")
    google_api_url: str = Field(default="https://www.googleapis.com/", description="Google's API endpoint")
    google_ca_file: Path | None = Field(default=None, description="Trust this CA for Google (the sandbox)")
    google_timeout_seconds: float = Field(default=30.0, gt=0, description="Give up on one Google request after this")

    sandbox_behaviours: Path | None = Field(
        default=None, description="YAML of scripted candidate behaviours, keyed by phone number"
    )
    fault_crash_at: str = Field(
        default="",
        description="Sandbox only: '<step>:before' or '<step>:after' kills the flow process once, for crash tests",
    )
    fault_refuse: str = Field(
        default="",
        description="Sandbox only: every effect whose step starts with this is refused for good (saga tests)",
    )

    @model_validator(mode="after")
    def _secrets_are_real(self) -> Settings:
        if self.contact_until <= self.contact_from:
            raise SettingsError("SECONDROUND_CONTACT_UNTIL must be after SECONDROUND_CONTACT_FROM (her waking hours)")
        if self.mode == "sandbox":
            return self
        missing = [
            name
            for name, value in (
                ("SECONDROUND_TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                ("SECONDROUND_TWILIO_AUTH_TOKEN", self.twilio_auth_token.get_secret_value()),
                ("SECONDROUND_TWILIO_FROM_NUMBER", self.twilio_from_number),
                ("SECONDROUND_SMTP_PASSWORD", self.smtp_password.get_secret_value()),
                ("SECONDROUND_LINK_SIGNING_KEY", self.link_signing_key.get_secret_value()),
                ("SECONDROUND_RECRUITER_API_TOKEN", self.recruiter_api_token.get_secret_value()),
            )
            if is_placeholder(value)
        ]
        if missing:
            raise SettingsError("mode=live needs real values for: " + ", ".join(missing))
        if self.fault_crash_at or self.fault_refuse:
            raise SettingsError("SECONDROUND_FAULT_CRASH_AT and _FAULT_REFUSE are for sandbox tests only")
        return self

    @property
    def mail_domain(self) -> str:
        """Right-hand side of our Message-IDs and calendar UIDs."""
        return self.smtp_from.rpartition("@")[2] or "secondround.example"

    @property
    def sandbox_dir(self) -> Path:
        return self.state_dir / "sandbox"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
