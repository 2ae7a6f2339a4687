"""The logins our calendar clients use, kept apart from the requests they make.

- Google: a service account with domain-wide delegation, acting as each calendar's owner (a
  user's calendar: that user; a resource calendar: ``SECONDROUND_GOOGLE_DELEGATE``), one
  Calendar v3 service per owner (``google_services``).
- Microsoft Graph: client credentials through ``msal``, the token cached by MSAL
  (``graph_token``).

Both name what is missing (``ConfigError``) before any request, and a login the provider
refuses is terminal (``TerminalChannelError``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import google_auth_httplib2
import httplib2
import msal
import requests
from google.oauth2 import credentials as oauth2_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build

from config.errors import ConfigError, TerminalChannelError
from config.settings import Settings, is_placeholder

GOOGLE_SCOPE = "https://www.googleapis.com/auth/calendar"


def google_services(settings: Settings) -> Callable[[str], Any]:
    """A Calendar service acting as the owner of the calendar asked for, one per owner; with a
    user's refresh token, one service acting as that user for every calendar."""
    credentials, delegates = _google_credentials(settings)
    services: dict[str, Any] = {}

    def service_for(calendar: str) -> Any:
        owner = settings.google_delegate if calendar.endswith("resource.calendar.google.com") else calendar
        if delegates and not owner:
            raise ConfigError(
                f"google:{calendar} is a resource calendar: set SECONDROUND_GOOGLE_DELEGATE, the user it is managed as"
            )
        owner = owner if delegates else ""
        if owner not in services:
            ca = str(settings.google_ca_file) if settings.google_ca_file else None
            acting = credentials.with_subject(owner) if delegates else credentials
            http = httplib2.Http(ca_certs=ca, timeout=int(settings.google_timeout_seconds))
            options = {"api_endpoint": f"{settings.google_api_url.rstrip('/')}/calendar/v3/"}
            authorized = google_auth_httplib2.AuthorizedHttp(acting, http=http)
            services[owner] = build("calendar", "v3", http=authorized, static_discovery=True, client_options=options)
        return services[owner]

    return service_for


def _google_credentials(settings: Settings) -> tuple[Any, bool]:
    """The credentials, and whether they may act as others (a service account with delegation)."""
    if settings.google_refresh_token.get_secret_value():
        secret = settings.google_oauth_client_secret.get_secret_value()
        client = {"CLIENT_ID": settings.google_oauth_client_id, "CLIENT_SECRET": secret}
        live = settings.mode == "live"  # the sandbox's own values look made up, and are
        missing = [
            f"SECONDROUND_GOOGLE_OAUTH_{n}" for n, v in client.items() if not v.strip() or (live and is_placeholder(v))
        ]
        if missing:
            raise ConfigError(f"google: a refresh token needs its OAuth client: set {', '.join(missing)}")
        user = oauth2_credentials.Credentials(  # type: ignore[no-untyped-call]
            None,
            refresh_token=settings.google_refresh_token.get_secret_value(),
            client_id=settings.google_oauth_client_id,
            client_secret=secret,
            token_uri=settings.google_token_url,
            scopes=[GOOGLE_SCOPE],
        )
        return user, False
    if key := settings.google_service_account_json.get_secret_value():
        info = json.loads(key)
        return service_account.Credentials.from_service_account_info(info, scopes=[GOOGLE_SCOPE]), True  # type: ignore[no-untyped-call]
    if settings.google_service_account_file is not None and settings.google_service_account_file.exists():
        file = str(settings.google_service_account_file)
        return service_account.Credentials.from_service_account_file(file, scopes=[GOOGLE_SCOPE]), True  # type: ignore[no-untyped-call]
    raise ConfigError(
        "google: calendars need SECONDROUND_GOOGLE_SERVICE_ACCOUNT_FILE or _SERVICE_ACCOUNT_JSON (a service "
        "account's key), or SECONDROUND_GOOGLE_REFRESH_TOKEN with its OAuth client"
    )


def graph_token(settings: Settings) -> Callable[[], str]:
    """A function giving a Graph access token for the configured app registration, which logs
    in with its client secret or, when ``SECONDROUND_GRAPH_CLIENT_CERTIFICATE_FILE`` is set, with
    its certificate (a client assertion signed by the certificate's key)."""
    credential = _graph_credential(settings)
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment overrides the CA we name
    session.verify = str(settings.graph_ca_file) if settings.graph_ca_file else True
    app = msal.ConfidentialClientApplication(
        settings.graph_client_id,
        client_credential=credential,
        authority=f"{settings.graph_authority_url.rstrip('/')}/{settings.graph_tenant_id}",
        http_client=session,
        instance_discovery=settings.graph_authority_url.startswith("https://login.microsoftonline.com"),
    )

    def token() -> str:
        answer = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
        if "access_token" not in answer:
            raise TerminalChannelError(
                "calendar", f"Microsoft refused the app's login: {answer.get('error_description', answer)}"
            )
        return str(answer["access_token"])

    return token


def _graph_credential(settings: Settings) -> str | dict[str, str]:
    certificate = settings.graph_client_certificate_file
    secret = settings.graph_client_secret.get_secret_value()
    values = {"TENANT_ID": settings.graph_tenant_id, "CLIENT_ID": settings.graph_client_id}
    values |= {} if certificate else {"CLIENT_SECRET": secret}
    missing = _missing("SECONDROUND_GRAPH_", values, settings=settings)
    if missing:
        raise ConfigError(f"microsoft: calendars need real values for {', '.join(missing)}")
    if certificate is None:
        return secret
    if not certificate.exists():
        raise ConfigError(f"microsoft: SECONDROUND_GRAPH_CLIENT_CERTIFICATE_FILE {certificate} does not exist")
    pem = certificate.read_text()
    found = {kind: text for text, kind in re.findall(r"(-----BEGIN ([A-Z ]+)-----.*?-----END \2-----)", pem, re.S)}
    key = next((block for kind, block in found.items() if kind.endswith("PRIVATE KEY")), None)
    if key is None or "CERTIFICATE" not in found:
        raise ConfigError(f"microsoft: {certificate} needs the app's certificate and its private key, both in PEM")
    return {"private_key": key, "public_certificate": found["CERTIFICATE"]}  # MSAL signs PS256, SHA-256 thumbprint


def _missing(prefix: str, values: dict[str, str], *, settings: Settings) -> list[str]:
    """The settings among ``values`` not set, or (live) still placeholders: the sandbox's own
    values look made up, and are."""
    live = settings.mode == "live"
    blank = [key for key, value in values.items() if not value.strip() or (live and is_placeholder(value))]
    return [f"{prefix}{key}" for key in blank]
