from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.errors import ConfigError, SettingsError
from config.settings import Settings
from sandbox.gcal_api import write_service_account
from tasks.clients.google import google
from tasks.clients.graph import graph

LIVE = {
    "MODE": "live",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "tok-9f2c",
    "TWILIO_FROM_NUMBER": "+14155550100",
    "SMTP_PASSWORD": "pw-77a1",
    "LINK_SIGNING_KEY": "k-0c4e",
    "RECRUITER_API_TOKEN": "r-51d0",
}


def live(monkeypatch: pytest.MonkeyPatch, **more: str) -> None:
    """Live mode with real-looking secrets (and ``more``) in the environment."""
    for name, value in (LIVE | more).items():
        monkeypatch.setenv(f"SECONDROUND_{name}", value)


def test_sandbox_needs_no_secrets() -> None:
    assert Settings(mode="sandbox").mode == "sandbox"


def test_live_refuses_missing_and_placeholder_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECONDROUND_MODE", "live")
    monkeypatch.setenv("SECONDROUND_TWILIO_AUTH_TOKEN", "changeme")
    with pytest.raises(SettingsError) as caught:
        Settings()
    message = str(caught.value)
    assert "SECONDROUND_TWILIO_AUTH_TOKEN" in message and "SECONDROUND_SMTP_PASSWORD" in message


def test_live_with_real_secrets_keeps_them_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    live(monkeypatch)
    settings = Settings()
    assert "tok-9f2c" not in repr(settings) and settings.twilio_auth_token.get_secret_value() == "tok-9f2c"
    monkeypatch.setenv("SECONDROUND_FAULT_CRASH_AT", "call:after")
    with pytest.raises(SettingsError, match="for sandbox tests only"):
        Settings()


def test_microsoft_calendars_name_what_is_missing_or_made_up(monkeypatch: pytest.MonkeyPatch) -> None:
    live(monkeypatch, GRAPH_CLIENT_ID="3f1c0c4e-app", GRAPH_CLIENT_SECRET="changeme")

    async def open_graph() -> None:
        async with graph(Settings()):
            pass

    with pytest.raises(
        ConfigError, match="real values for SECONDROUND_GRAPH_TENANT_ID, SECONDROUND_GRAPH_CLIENT_SECRET"
    ):
        asyncio.run(open_graph())  # before any request: nothing reaches Microsoft


def test_google_calendars_name_the_missing_key_and_delegate(tmp_path: Path) -> None:
    async def busy(settings: Settings, calendar: str) -> None:
        async with google(settings) as client:
            await client.busy(calendar, datetime(2027, 1, 4, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC))

    with pytest.raises(ConfigError, match="SECONDROUND_GOOGLE_SERVICE_ACCOUNT_FILE"):
        asyncio.run(busy(Settings(), "amara@northwind.example"))
    key = write_service_account(tmp_path, "https://127.0.0.1:9/token")  # never reached: refused before a request
    settings = Settings(google_service_account_file=key, google_delegate="")
    with pytest.raises(ConfigError, match="SECONDROUND_GOOGLE_DELEGATE"):
        asyncio.run(busy(settings, "room-1@resource.calendar.google.com"))


def test_a_made_up_google_oauth_client_is_named_in_live_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    live(monkeypatch, GOOGLE_REFRESH_TOKEN="1//0g-real-looking", GOOGLE_OAUTH_CLIENT_ID="changeme")

    async def busy() -> None:
        async with google(Settings()) as client:
            await client.busy(
                "amara@northwind.example", datetime(2027, 1, 4, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC)
            )

    with pytest.raises(
        ConfigError, match="set SECONDROUND_GOOGLE_OAUTH_CLIENT_ID, SECONDROUND_GOOGLE_OAUTH_CLIENT_SECRET"
    ):
        asyncio.run(busy())  # before any request: nothing reaches Google
