"""The Google Calendar stand-in's HTTP face: the v3 endpoints we use, and a token endpoint.

- ``POST /token``: a user's refresh token with its OAuth client (``refresh_token``), or the
  service-account grant (``urn:ietf:params:oauth:grant-type:jwt-bearer``);
  the assertion must be a JWT signed with the sandbox service account's key
  (``write_service_account``), else 400 ``invalid_grant``.
- ``/calendar/v3/calendars/{id}/events`` (insert, with a client-chosen id: 409 ``duplicate``),
  ``.../events/{eventId}`` (get, ``PATCH`` and ``DELETE`` with ``If-Match``: 412
  ``conditionNotMet``), ``/calendar/v3/freeBusy`` (at most 50 calendars a query). A missing or
  unknown bearer token gets 401 ``authError``.
- ``POST /sandbox/throttle`` ``{"requests": n}``: the next n API requests get 429
  ``rateLimitExceeded``, as Google's quotas answer.

Run: ``python -m sandbox.gcal_api --port 8400 --key-file sa.json [--certfile ... --keyfile ...]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from sandbox.gcal import GoogleCalendar, GoogleError, when

MAX_CALENDARS = 50
SERVICE_ACCOUNT = "secondround@sandbox-project.iam.gserviceaccount.com"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET = "sandbox-oauth-client.apps.googleusercontent.com", "sandbox-oauth-secret"
REFRESH_TOKEN = "1//sandbox-refresh-token"  # a user's consent, as Google's OAuth playground gives one


def write_service_account(directory: Path, token_uri: str) -> Path:
    """A service-account key file for the stand-in, as Google's console gives one (once)."""
    path = directory / "google-service-account.json"
    if path.exists():
        return path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    info = {
        "type": "service_account",
        "project_id": "sandbox-project",
        "private_key_id": uuid4().hex,
        "private_key": pem.decode(),
        "client_email": SERVICE_ACCOUNT,
        "client_id": "1" * 21,
        "token_uri": token_uri,
    }
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def google_env(url: str, tls: Path) -> dict[str, str]:
    """The settings that point our Google client at the stand-in (its key is written at start)."""
    return {
        "SECONDROUND_GOOGLE_SERVICE_ACCOUNT_FILE": str(tls / "google-service-account.json"),
        "SECONDROUND_GOOGLE_DELEGATE": "calendars@northwind.example",
        "SECONDROUND_GOOGLE_API_URL": f"{url}/",
        "SECONDROUND_GOOGLE_CA_FILE": str(tls / "ca.pem"),
    }


def _error(error: GoogleError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def create_app(key_file: Path) -> FastAPI:
    app = FastAPI(title="sandbox Google Calendar", docs_url=None, redoc_url=None)
    calendar, tokens, throttle = GoogleCalendar(), set[str](), {"requests": 0}
    private = serialization.load_pem_private_key(
        json.loads(key_file.read_text())["private_key"].encode(), password=None
    )
    assert isinstance(private, rsa.RSAPrivateKey)  # write_service_account makes RSA keys, as Google does
    public = private.public_key()
    app.state.calendar, app.state.requests = calendar, []

    @app.middleware("http")
    async def gate(request: Request, call_next: Any) -> Response:
        if not request.url.path.startswith("/calendar/v3/"):
            return await call_next(request)  # type: ignore[no-any-return]
        app.state.requests.append({"method": request.method, "path": request.url.path})
        if throttle["requests"] > 0:
            throttle["requests"] -= 1
            return _error(GoogleError(429, "rateLimitExceeded", "Rate Limit Exceeded"))
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in tokens:
            return _error(GoogleError(401, "authError", "Request had invalid authentication credentials."))
        try:
            return await call_next(request)  # type: ignore[no-any-return]
        except GoogleError as error:
            return _error(error)

    _token(app, tokens, public)
    _events(app, calendar)

    _sandbox_doors(app, calendar, throttle)

    return app


def _token(app: FastAPI, tokens: set[str], public: rsa.RSAPublicKey) -> None:
    """The service-account grant: a JWT signed with the key file's key, for this endpoint."""

    @app.post("/token")
    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") == "refresh_token":  # an OAuth client with a user's refresh token
            client = (form.get("client_id"), form.get("client_secret"))
            if client != (OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET) or form.get("refresh_token") != REFRESH_TOKEN:
                return JSONResponse({"error": "invalid_grant", "error_description": "Bad Request"}, status_code=400)
            tokens.add(issued := uuid4().hex)
            return JSONResponse({"access_token": issued, "token_type": "Bearer", "expires_in": 3599})
        try:
            audiences = [GOOGLE_TOKEN_AUDIENCE, str(request.url)]  # google-auth signs for Google's endpoint
            claims = jwt.decode(str(form.get("assertion", "")), public, algorithms=["RS256"], audience=audiences)
        except jwt.PyJWTError as error:
            return JSONResponse({"error": "invalid_grant", "error_description": str(error)}, status_code=400)
        issued = uuid4().hex
        tokens.add(issued)
        return JSONResponse(
            {"access_token": issued, "token_type": "Bearer", "expires_in": 3599, "sub": claims.get("sub")}
        )


def _sandbox_doors(app: FastAPI, calendar: GoogleCalendar, throttle: dict[str, int]) -> None:
    """The sandbox's own controls, no token: throttling, requests seen, a calendar's events."""

    @app.post("/sandbox/throttle")
    async def set_throttle(request: Request) -> dict[str, int]:
        throttle.update(await request.json())
        return throttle

    @app.get("/sandbox/calendars/{calendar_id}/events")
    async def inspect(calendar_id: str) -> dict[str, Any]:
        """The sandbox's own door (no token): what is on a calendar, for the demo's report."""
        return {"items": [e.resource() for e in calendar.events(calendar_id).values()]}

    @app.post("/sandbox/calendars/{calendar_id}/events")
    async def seed(calendar_id: str, request: Request) -> dict[str, Any]:
        """The sandbox's own door: an event someone else made (the demo's team meeting)."""
        return calendar.insert(calendar_id, await request.json()).resource()

    @app.get("/sandbox/requests")
    async def requests() -> list[dict[str, str]]:
        return list(app.state.requests)


def _events(app: FastAPI, calendar: GoogleCalendar) -> None:
    base = "/calendar/v3/calendars/{calendar_id}/events"

    @app.post(base)
    async def insert(calendar_id: str, request: Request, conferenceDataVersion: int = 0) -> dict[str, Any]:
        return calendar.insert(calendar_id, await request.json(), conference=conferenceDataVersion == 1).resource()

    @app.get(base + "/{event_id}")
    async def get(calendar_id: str, event_id: str) -> dict[str, Any]:
        return calendar.get(calendar_id, event_id).resource()

    @app.patch(base + "/{event_id}")
    async def patch(
        calendar_id: str,
        event_id: str,
        request: Request,
        conferenceDataVersion: int = 0,
    ) -> dict[str, Any]:
        body, match = await request.json(), request.headers.get("if-match")
        made = calendar.patch(calendar_id, event_id, body, if_match=match, conference=conferenceDataVersion == 1)
        return made.resource()

    @app.delete(base + "/{event_id}", status_code=204)
    async def delete(calendar_id: str, event_id: str, request: Request) -> None:
        calendar.delete(calendar_id, event_id, if_match=request.headers.get("if-match"))

    @app.post("/calendar/v3/freeBusy")
    async def free_busy(request: Request) -> dict[str, Any]:
        body = await request.json()
        ids = [item["id"] for item in body.get("items", [])]
        if len(ids) > MAX_CALENDARS:
            raise GoogleError(400, "tooManyCalendarsRequested", f"at most {MAX_CALENDARS} calendars a query")
        start, end = when({"dateTime": body["timeMin"]})[0], when({"dateTime": body["timeMax"]})[0]
        return {"kind": "calendar#freeBusy", "calendars": calendar.free_busy(ids, start, end)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8400)
    parser.add_argument("--key-file", type=Path, required=True)
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    args = parser.parse_args()
    tls = {"ssl_certfile": args.certfile, "ssl_keyfile": args.keyfile} if args.certfile else {}
    uvicorn.run(create_app(args.key_file), host="127.0.0.1", port=args.port, log_level="warning", **tls)


if __name__ == "__main__":
    main()
