"""The sandbox Twilio's HTTP API: Calls create/fetch/update/list and Messages create/list.

Basic auth on every request (401 / 20003), 429 / 20429 above the calls-per-second limit,
Twilio's error JSON, RFC 2822 dates, and ``GET /sandbox/requests`` for tests and benchmarks.

Run: ``python -m sandbox.twilio_api --port 8100`` (settings from ``SECONDROUND_*``).
"""

from __future__ import annotations

import argparse
import base64
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs
from uuid import uuid4

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from config.settings import Settings, get_settings
from sandbox.behaviours import CallBehaviour, script_for
from sandbox.twilio import FINAL, SandboxTwilio, rfc2822


def _error(status: int, code: int, message: str) -> JSONResponse:
    more = f"https://www.twilio.com/docs/errors/{code}"
    return JSONResponse({"code": code, "message": message, "more_info": more, "status": status}, status_code=status)


def _authorised(sandbox: SandboxTwilio, request: Request) -> bool:
    sid, token = sandbox.settings.twilio_account_sid, sandbox.settings.twilio_auth_token.get_secret_value()
    expected = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()
    return request.headers.get("authorization") == expected


def create_app(settings: Settings | None = None, *, cps: float | None = None) -> FastAPI:
    sandbox = SandboxTwilio(settings or get_settings(), cps=cps)
    app = FastAPI(title="sandbox Twilio", docs_url=None, redoc_url=None)
    app.state.sandbox = sandbox
    _gate(app, sandbox)
    _call_routes(app, sandbox)
    _message_routes(app, sandbox)
    _play_routes(app, sandbox)
    return app


BASE = "/2010-04-01/Accounts/{account}"


async def _form(request: Request) -> dict[str, list[str]]:
    return parse_qs((await request.body()).decode(), keep_blank_values=True)


def _gate(app: FastAPI, sandbox: SandboxTwilio) -> None:
    """Every API request is recorded (``/sandbox/requests``) and must carry the account's login."""

    @app.middleware("http")
    async def check(request: Request, call_next: Any) -> Response:
        if not request.url.path.startswith("/2010-04-01/"):
            return await call_next(request)  # type: ignore[no-any-return]
        body = (await request.body()).decode()
        entry = {"at": time.time(), "method": request.method, "path": request.url.path, "form": parse_qs(body)}
        entry["query"] = parse_qs(request.url.query)
        sandbox.requests.append(entry)
        if not _authorised(sandbox, request):
            response: Response = _error(401, 20003, "Authenticate")
        else:
            response = await call_next(request)
        entry["status"] = response.status_code
        return response


def _call_routes(app: FastAPI, sandbox: SandboxTwilio) -> None:
    """Calls: create (paced, with the behaviours' refusals), list, fetch, update (TwiML, hang up)."""

    @app.post(BASE + "/Calls.json")
    async def create_call(request: Request, account: str) -> Response:
        data = await _form(request)
        if not {"To", "From"} <= data.keys():
            return _error(400, 21201 if "To" not in data else 21213, "To and From are required")
        if not sandbox.bucket.take():
            return _error(429, 20429, "Too Many Requests")
        if script_for(sandbox.settings.sandbox_behaviours, data["To"][-1]).call(1) is CallBehaviour.invalid_number:
            return _error(400, 21217, f"Phone number {data['To'][-1]} is not a valid phone number")
        call, behaviour = sandbox.create_call(data)
        if behaviour is CallBehaviour.lost_response:
            return _error(500, 20500, "Internal Server Error")
        return JSONResponse(sandbox.resource(call), status_code=201)

    @app.get(BASE + "/Calls.json")
    async def list_calls(request: Request, account: str) -> Response:
        to = request.query_params.get("To")
        found = [sandbox.resource(c) for c in sandbox.calls.values() if to in (None, c["to"])]
        found.sort(key=lambda c: sandbox.calls[c["sid"]]["date_created"], reverse=True)
        return JSONResponse({"calls": found, "page": 0, "page_size": 50, "start": 0, "next_page_uri": None})

    @app.get(BASE + "/Calls/{sid}.json")
    async def fetch_call(account: str, sid: str) -> Response:
        if sid not in sandbox.calls:
            return _error(404, 20404, f"The requested resource {sid} was not found")
        return JSONResponse(sandbox.resource(sandbox.calls[sid]))

    @app.post(BASE + "/Calls/{sid}.json")
    async def update_call(request: Request, account: str, sid: str) -> Response:
        if sid not in sandbox.calls:
            return _error(404, 20404, f"The requested resource {sid} was not found")
        call = sandbox.calls[sid]
        if call["status"] in FINAL:
            return _error(400, 21220, "Call is not in-progress. Cannot redirect.")
        await sandbox.update(call, {k: v[-1] for k, v in (await _form(request)).items()})
        return JSONResponse(sandbox.resource(call))


def _message_routes(app: FastAPI, sandbox: SandboxTwilio) -> None:
    """Messages: create (refusing invalid and opted-out numbers) and list."""

    @app.post(BASE + "/Messages.json")
    async def create_message(request: Request, account: str) -> Response:
        data = {k: v[-1] for k, v in (await _form(request)).items()}
        if script_for(sandbox.settings.sandbox_behaviours, data.get("To", "")).call(1) is CallBehaviour.invalid_number:
            return _error(400, 21211, f"The 'To' number {data.get('To')} is not a valid phone number.")
        if data.get("To") in sandbox.opted_out:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        sandbox.record(data.get("StatusCallback"), channel="sms", to=data["To"], body={"body": data.get("Body", "")})
        now = rfc2822(datetime.now(timezone.utc))
        message = {"sid": "SM" + uuid4().hex, "status": "queued", "to": data["To"], "from": data.get("From")}
        message |= {"body": data.get("Body"), "date_created": now}
        sandbox.messages.insert(0, message)
        return JSONResponse(message, status_code=201)

    @app.get(BASE + "/Messages.json")
    async def list_messages(request: Request, account: str) -> Response:
        to = request.query_params.get("To")
        found = [m for m in sandbox.messages if to in (None, m["to"])]
        return JSONResponse({"messages": found, "page": 0, "page_size": 50, "start": 0, "next_page_uri": None})


def _play_routes(app: FastAPI, sandbox: SandboxTwilio) -> None:
    """The sandbox's own controls: what was asked of it, and candidates texting or calling us."""

    @app.post("/sandbox/inbound-sms")
    async def inbound_sms(request: Request) -> Response:
        """Play a candidate texting us: {"from": "+1...", "body": "YES", "sid": optional}."""
        data = await request.json()
        return JSONResponse({"twiml": await sandbox.text_in(data["from"], data["body"], sid=data.get("sid"))})

    @app.post("/sandbox/inbound-call")
    async def inbound_call(request: Request) -> Response:
        """Play a candidate calling us back and pressing {"digits": "1"}."""
        data = await request.json()
        return JSONResponse({"twiml": await sandbox.call_in(data["from"], data.get("digits", ""))})

    @app.get("/sandbox/requests")
    async def requests() -> Response:
        return JSONResponse(sandbox.requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--cps", type=float, default=None, help="calls per second before 429 (default: the setting)")
    args = parser.parse_args()
    uvicorn.run(create_app(cps=args.cps), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
