"""Every way an admin can log us in, against the stand-ins: Google with the service account's
key file, with the key itself as a secret, or with a user's refresh token and its OAuth client;
Microsoft Graph with the client secret or with the app's certificate. A login the provider
refuses is terminal, naming it; one not configured is named before any request."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from config.errors import ConfigError, TerminalChannelError
from config.settings import Settings
from sandbox.gcal_api import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, REFRESH_TOKEN
from sandbox.tls import write_app_certificate
from tasks.clients.google import google
from tasks.clients.graph import graph
from tests.adapters.backends import local
from tests.adapters.test_calendars import run
from tests.conftest import Peers


def google_busy(settings: Settings, calendar: str = "login@northwind.example") -> list[Any]:
    async def busy() -> list[Any]:
        async with google(settings) as client:
            return await client.busy(calendar, local(29, 0), local(29, 0) + timedelta(days=1))

    return run(busy())


def graph_busy(settings: Settings) -> list[Any]:
    async def busy() -> list[Any]:
        async with graph(settings) as client:
            return await client.busy("login@northwind.example", local(29, 0), local(29, 0) + timedelta(days=1))

    return run(busy())


def test_google_by_key_file_by_key_json_or_by_a_users_refresh_token(peers: Peers) -> None:
    settings = peers.settings
    key = Path(str(settings.google_service_account_file)).read_text()
    by_json = settings.model_copy(
        update={"google_service_account_file": None, "google_service_account_json": SecretStr(key)}
    )
    user = {"google_oauth_client_id": OAUTH_CLIENT_ID, "google_oauth_client_secret": SecretStr(OAUTH_CLIENT_SECRET)}
    user |= {"google_refresh_token": SecretStr(REFRESH_TOKEN), "google_token_url": json.loads(key)["token_uri"]}
    by_token = settings.model_copy(update={"google_service_account_file": None, "google_delegate": ""} | user)
    for login in (settings, by_json, by_token):
        assert google_busy(login) == []
    assert google_busy(by_token, "room-9@resource.calendar.google.com") == []  # as the user: no delegate needed
    revoked = by_token.model_copy(update={"google_refresh_token": SecretStr("1//revoked")})
    with pytest.raises(TerminalChannelError, match="Google refused our login"):
        google_busy(revoked)
    with pytest.raises(
        ConfigError, match="a refresh token needs its OAuth client: set SECONDROUND_GOOGLE_OAUTH_CLIENT_ID"
    ):
        google_busy(by_token.model_copy(update={"google_oauth_client_id": ""}))
    with pytest.raises(ConfigError, match="SECONDROUND_GOOGLE_SERVICE_ACCOUNT_FILE or _SERVICE_ACCOUNT_JSON"):
        google_busy(settings.model_copy(update={"google_service_account_file": None}))


def test_graph_by_client_secret_or_by_the_apps_certificate(peers: Peers, tmp_path: Path) -> None:
    settings = peers.settings
    certificate = write_app_certificate(peers.tls)  # the one the stand-in has registered
    by_certificate = settings.model_copy(
        update={"graph_client_secret": SecretStr(""), "graph_client_certificate_file": certificate}
    )
    assert graph_busy(settings) == graph_busy(by_certificate) == []
    stranger = by_certificate.model_copy(update={"graph_client_certificate_file": write_app_certificate(tmp_path)})
    with pytest.raises(TerminalChannelError, match="refused the app's login: AADSTS700027"):
        graph_busy(stranger)
    with pytest.raises(ConfigError, match="does not exist"):
        graph_busy(by_certificate.model_copy(update={"graph_client_certificate_file": tmp_path / "nowhere.pem"}))
    unset = settings.model_copy(update={"graph_tenant_id": "", "graph_client_secret": SecretStr("")})
    with pytest.raises(
        ConfigError, match="real values for SECONDROUND_GRAPH_TENANT_ID, SECONDROUND_GRAPH_CLIENT_SECRET"
    ):
        graph_busy(unset)
