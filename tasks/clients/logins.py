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

from collections.abc import Callable
from typing import Any

import google_auth_httplib2
import httplib2
import msal
import requests
from google.oauth2 import service_account
from googleapiclient.discovery import build

from config.errors import ConfigError, TerminalChannelError
from config.settings import Settings, is_placeholder

GOOGLE_SCOPE = "https://www.googleapis.com/auth/calendar"


def google_services(settings: Settings) -> Callable[[str], Any]:
    """A Calendar service acting as the owner of the calendar asked for, one per owner."""
    if settings.google_service_account_file is None or not settings.google_service_account_file.exists():
        raise ConfigError("google: calendars need SECONDROUND_GOOGLE_SERVICE_ACCOUNT_FILE (the service account's key)")
    key = str(settings.google_service_account_file)
    base = service_account.Credentials.from_service_account_file(key, scopes=[GOOGLE_SCOPE])  # type: ignore[no-untyped-call]
    services: dict[str, Any] = {}

    def service_for(calendar: str) -> Any:
        owner = settings.google_delegate if calendar.endswith("resource.calendar.google.com") else calendar
        if not owner:
            raise ConfigError(
                f"google:{calendar} is a resource calendar: set SECONDROUND_GOOGLE_DELEGATE, the user it is managed as"
            )
        if owner not in services:
            ca = str(settings.google_ca_file) if settings.google_ca_file else None
            http = google_auth_httplib2.AuthorizedHttp(
                base.with_subject(owner), http=httplib2.Http(ca_certs=ca, timeout=int(settings.google_timeout_seconds))
            )
            options = {"api_endpoint": f"{settings.google_api_url.rstrip('/')}/calendar/v3/"}
            services[owner] = build("calendar", "v3", http=http, static_discovery=True, client_options=options)
        return services[owner]

    return service_for


def graph_token(settings: Settings) -> Callable[[], str]:
    """A function giving a Graph access token for the configured app registration."""
    secret = settings.graph_client_secret.get_secret_value()
    values = {"TENANT_ID": settings.graph_tenant_id, "CLIENT_ID": settings.graph_client_id, "CLIENT_SECRET": secret}
    live = settings.mode == "live"  # the sandbox's own values look made up, and are
    missing = [f"SECONDROUND_GRAPH_{n}" for n, v in values.items() if not v.strip() or (live and is_placeholder(v))]
    if missing:
        raise ConfigError(f"microsoft: calendars need real values for {', '.join(missing)}")
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment overrides the CA we name
    session.verify = str(settings.graph_ca_file) if settings.graph_ca_file else True
    app = msal.ConfidentialClientApplication(
        settings.graph_client_id,
        client_credential=secret,
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
