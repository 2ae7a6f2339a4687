"""The Microsoft Graph stand-in's HTTP face: the calendar endpoints we use, and a token endpoint.

- ``POST /{tenant}/oauth2/v2.0/token`` (client credentials: the secret, or a client assertion
  signed by the app's registered certificate, ``--app-certificate``; else 401 ``invalid_client``)
  and ``GET /{tenant}/v2.0/.well-known/openid-configuration`` for MSAL.
- ``/v1.0/users/{mailbox}/calendar/events`` (create; list), ``.../calendarView`` (the events of a
  window), ``/v1.0/users/{mailbox}/events/{id}``
  (get, ``PATCH`` and ``DELETE`` with ``If-Match``: 412 when stale), and
  ``/v1.0/users/{mailbox}/calendar/getSchedule`` (at most 20 schedules and under 42 days a
  request, else 400). A missing or unknown bearer token gets 401 ``InvalidAuthenticationToken``.
- ``POST /sandbox/throttle`` ``{"requests": n, "retry_after": s}``: the next n API requests get
  429 with ``Retry-After``, as Graph throttles.

Run: ``python -m sandbox.graph_api --port 8300 [--certfile ... --keyfile ...]`` (MSAL insists on
HTTPS for its authority: the stack serves it with the sandbox's test CA).
"""

from __future__ import annotations

import argparse
import base64
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from uuid import uuid4

import jwt
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from sandbox.graph import Graph, GraphError, moment

CLIENT_ID, CLIENT_SECRET = "sandbox-graph-client", "sandbox-graph-secret"
MAX_SCHEDULES, MAX_DAYS = 20, 42


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def graph_env(url: str, ca_file: Path) -> dict[str, str]:
    """The settings that point our Graph client (and MSAL) at the stand-in."""
    return {
        "SECONDROUND_GRAPH_TENANT_ID": "sandbox-tenant",
        "SECONDROUND_GRAPH_CLIENT_ID": CLIENT_ID,
        "SECONDROUND_GRAPH_CLIENT_SECRET": CLIENT_SECRET,
        "SECONDROUND_GRAPH_AUTHORITY_URL": url,
        "SECONDROUND_GRAPH_API_URL": f"{url}/v1.0",
        "SECONDROUND_GRAPH_CA_FILE": str(ca_file),
    }


def create_app(app_certificate: Path | None = None) -> FastAPI:
    app = FastAPI(title="sandbox Microsoft Graph", docs_url=None, redoc_url=None)
    graph, tokens, throttle = Graph(), set[str](), {"requests": 0, "retry_after": 1}
    certificate = x509.load_pem_x509_certificate(app_certificate.read_bytes()) if app_certificate else None
    app.state.graph, app.state.requests = graph, []

    @app.middleware("http")
    async def gate(request: Request, call_next: Any) -> Response:
        if not request.url.path.startswith("/v1.0/"):
            return await call_next(request)  # type: ignore[no-any-return]
        body = (await request.body()).decode()  # kept for the contract test, which checks each request
        app.state.requests.append(
            {"method": request.method, "path": request.url.path, "query": request.url.query, "body": body}
        )
        if throttle["requests"] > 0:
            throttle["requests"] -= 1
            retry = str(throttle["retry_after"])
            return _error(429, "TooManyRequests", "Too many requests", **{"Retry-After": retry})
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in tokens:
            return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        try:
            return await call_next(request)  # type: ignore[no-any-return]
        except GraphError as error:
            return _error(error.status, error.code, error.message)

    _identity(app, tokens, certificate)
    _calendar(app, graph)

    @app.post("/sandbox/throttle")
    async def set_throttle(request: Request) -> dict[str, int]:
        throttle.update(await request.json())
        return throttle

    @app.get("/sandbox/requests")
    async def requests() -> list[dict[str, str]]:
        return list(app.state.requests)

    return app


def _identity(app: FastAPI, tokens: set[str], certificate: x509.Certificate | None) -> None:
    @app.get("/{tenant}/v2.0/.well-known/openid-configuration")
    async def discovery(tenant: str, request: Request) -> dict[str, str]:
        base = f"{request.url.scheme}://{request.url.netloc}/{tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0",
        }

    @app.post("/{tenant}/oauth2/v2.0/token")
    async def token(tenant: str, request: Request) -> Response:
        form = await request.form()
        refused = _refused(form, str(request.url), certificate)
        if refused:
            return JSONResponse({"error": "invalid_client", "error_description": refused}, status_code=401)
        issued = uuid4().hex
        tokens.add(issued)
        return JSONResponse({"token_type": "Bearer", "expires_in": 3599, "access_token": issued})


def _refused(form: Any, url: str, certificate: x509.Certificate | None) -> str:
    """Why the app's login is refused ("": it is not): a wrong secret, or a client assertion not
    signed by the registered certificate's key, for another audience, or by another client."""
    assertion = str(form.get("client_assertion") or "")
    if not assertion:
        if (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET):
            return ""
        return "AADSTS7000215: Invalid client secret provided."
    if certificate is None:
        return "AADSTS700027: no certificate is registered for this app."
    thumbprint = base64.urlsafe_b64encode(certificate.fingerprint(hashes.SHA256())).rstrip(b"=").decode()
    try:
        if str(jwt.get_unverified_header(assertion).get("x5t#S256", "")).rstrip("=") != thumbprint:  # MSAL pads it
            return "AADSTS700027: the assertion names a certificate not registered for this app."
        key = certificate.public_key()
        assert isinstance(key, rsa.RSAPublicKey)  # write_app_certificate's key, as Entra ID takes
        claims = jwt.decode(assertion, key, algorithms=["PS256", "RS256"], audience=url)
    except jwt.PyJWTError as error:
        return f"AADSTS700027: client assertion failed signature validation: {error}"
    return "" if claims.get("iss") == claims.get("sub") == CLIENT_ID else "AADSTS700016: unknown client."


def _calendar(app: FastAPI, graph: Graph) -> None:
    @app.post("/v1.0/users/{mailbox}/calendar/events", status_code=201)
    async def create(mailbox: str, request: Request) -> dict[str, Any]:
        return graph.create(mailbox, await request.json()).resource()

    @app.get("/v1.0/users/{mailbox}/calendar/events")
    async def listing(mailbox: str) -> dict[str, Any]:
        return {"value": [e.resource() for e in graph.mailbox(mailbox).events.values()]}

    @app.get("/v1.0/users/{mailbox}/calendarView")
    async def view(mailbox: str, startDateTime: str, endDateTime: str) -> dict[str, Any]:
        start, end = (datetime.fromisoformat(v).astimezone(timezone.utc) for v in (startDateTime, endDateTime))
        found = [e.resource() for e in graph.mailbox(mailbox).events.values() if e.occurrences(start, end)]
        return {"value": found}

    @app.get("/v1.0/users/{mailbox}/events/{event_id}")
    async def read(mailbox: str, event_id: str) -> dict[str, Any]:
        return graph.get(mailbox, event_id).resource()

    @app.patch("/v1.0/users/{mailbox}/events/{event_id}")
    async def update(mailbox: str, event_id: str, request: Request) -> dict[str, Any]:
        body = await request.json()
        return graph.update(mailbox, event_id, body, if_match=request.headers.get("if-match")).resource()

    @app.delete("/v1.0/users/{mailbox}/events/{event_id}", status_code=204)
    async def delete(mailbox: str, event_id: str, request: Request) -> None:
        graph.delete(mailbox, event_id, if_match=request.headers.get("if-match"))

    @app.post("/v1.0/users/{mailbox}/calendar/getSchedule")
    async def schedule(mailbox: str, request: Request) -> dict[str, Any]:
        body = await request.json()
        start, end = moment(body["startTime"]), moment(body["endTime"])
        if len(body.get("schedules", [])) > MAX_SCHEDULES:
            raise GraphError(400, "ErrorInvalidRequest", f"at most {MAX_SCHEDULES} schedules a request")
        if (end - start).days >= MAX_DAYS:
            raise GraphError(400, "ErrorInvalidRequest", f"the time range must be under {MAX_DAYS} days")
        interval = int(body.get("availabilityViewInterval", 30))
        return {"value": graph.schedule(body["schedules"], start, end, interval=interval)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    parser.add_argument("--app-certificate", type=Path, help="The app registration's certificate (PEM)")
    args = parser.parse_args()
    tls = {"ssl_certfile": args.certfile, "ssl_keyfile": args.keyfile} if args.certfile else {}
    uvicorn.run(create_app(args.app_certificate), host="127.0.0.1", port=args.port, log_level="warning", **tls)


if __name__ == "__main__":
    main()
