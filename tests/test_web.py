"""The inbound service on its own: bad links, forged webhooks, the recruiter's token, the inbox,
and a fuzz of every endpoint of its OpenAPI schema (schemathesis): no input gets a 5xx.

No Prefect here: the client points at a closed port, so nothing stored can be delivered and
everything stays in the inbox (``tests/flows/test_inbound.py`` covers delivery end to end).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from prefect.settings import PREFECT_API_URL, temporary_settings

from config.links import LinkClaim, make_token
from config.settings import get_settings
from flows.models import Decision, Reply, ReplyChannel
from web.app import app
from web.inbox import Inbox

KEY = b"sandbox"  # the sandbox's link key (the default setting)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SECONDROUND_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):  # closed: nothing delivered
        yield
    get_settings.cache_clear()


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def rows(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "web" / "inbox.sqlite") as db:
        return int(db.execute("select count(*) from replies").fetchone()[0])


def token(*, choice: str = "confirm", expires: datetime | None = None) -> str:
    expires = expires or datetime.now(timezone.utc) + timedelta(days=3)
    return make_token(KEY, LinkClaim("spring", "ana", 1, choice, expires))


def test_a_tampered_link_is_refused_with_a_clear_page(client: TestClient, tmp_path: Path) -> None:
    good = token()
    forged = (good[:-1] + ("A" if good[-1] != "A" else "B"), good.replace("ana", "bob"), "nonsense")
    for bad in (*forged, good[:-2] + "%C2%80", "0.%C2%80"):  # non-ASCII: found by the fuzzer
        for answer in (client.get(f"/r/{bad}"), client.post(f"/r/{bad}", data={"choice": "confirm"})):
            assert answer.status_code == 400 and "not valid" in answer.text and "Nothing was recorded" in answer.text
    assert rows(tmp_path) == 0


def test_an_expired_link_says_so(client: TestClient, tmp_path: Path) -> None:
    old = token(expires=datetime.now(timezone.utc) - timedelta(minutes=1))
    answer = client.post(f"/r/{old}", data={"choice": "confirm"})
    assert answer.status_code == 410 and "expired" in answer.text
    assert rows(tmp_path) == 0


def test_a_signed_link_with_an_unknown_choice_does_nothing(client: TestClient, tmp_path: Path) -> None:
    assert client.get(f"/r/{token(choice='hire-me')}").status_code == 400
    assert client.post(f"/r/{token()}", data={"choice": "hire-me"}).status_code == 422
    assert rows(tmp_path) == 0


def test_her_answer_is_stored_before_the_thank_you_even_with_prefect_down(client: TestClient, tmp_path: Path) -> None:
    answer = client.post(f"/r/{token()}", data={"choice": "another-time", "times": "  Mondays\n after 3pm "})
    assert answer.status_code == 200 and "does not suit you" in answer.text and "<form" not in answer.text
    assert "cannot show the interview details" in answer.text  # Prefect is down: no details, answer kept
    stored = asyncio.run(Inbox(tmp_path / "web" / "inbox.sqlite").first_decision("spring", "ana"))
    assert stored is not None and stored.state == "pending"  # waits for Prefect; not lost
    assert (stored.reply.decision, stored.reply.preferred_time) == (Decision.another_time, "Mondays after 3pm")
    second = client.post(f"/r/{token(choice='decline')}", data={"choice": "decline"})  # changes nothing
    assert "does not suit you" in second.text  # her first answer stands
    with sqlite3.connect(tmp_path / "web" / "inbox.sqlite") as db:
        states = db.execute("select key, state from replies order by rowid").fetchall()
    assert states == [("link:spring.ana", "pending"), ("link-late:spring.ana.decline", "late")]  # kept, not acted on


def test_the_page_sets_no_cookie_and_sends_no_referrer(client: TestClient) -> None:
    answer = client.get(f"/r/{token()}")
    assert answer.status_code == 200 and not answer.cookies
    assert (
        answer.headers["referrer-policy"] == "no-referrer"
        and "default-src 'none'" in answer.headers["content-security-policy"]
    )


def test_webhooks_without_a_valid_signature_get_403(client: TestClient, tmp_path: Path) -> None:
    run = "6f1c0c4e-0000-4000-8000-000000000001"
    live = (f"/twilio/whisper?key=r.c.1.ring-1&run={run}", f"/twilio/machine?key=r.c.1.ring-1&run={run}")
    for path in ("/twilio/sms", "/twilio/voice", "/twilio/voice/keypad?round=r&candidate=c", *live):
        answer = client.post(path, data={"From": "+12125550101", "Body": "YES"}, headers={"X-Twilio-Signature": "x"})
        assert answer.status_code == 403, path
    assert rows(tmp_path) == 0


def test_the_recruiter_needs_her_token_and_a_resend_stores_once(client: TestClient, tmp_path: Path) -> None:
    body = {"round_id": "spring", "candidate_id": "ana", "decision": "confirm", "enthusiasm": 5}
    assert client.post("/recruiter/replies", json=body).status_code == 401
    assert client.post("/recruiter/replies", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    headers = {"Authorization": "Bearer sandbox", "Idempotency-Key": "call-42"}
    first = client.post("/recruiter/replies", json=body, headers=headers).json()
    again = client.post("/recruiter/replies", json=body, headers=headers).json()
    assert (first["new"], again["new"], first["key"] == again["key"]) == (True, False, True)
    bad = client.post("/recruiter/replies", json=body | {"enthusiasm": 9}, headers=headers)
    assert bad.status_code == 422 and "enthusiasm" in bad.text
    assert rows(tmp_path) == 1


def test_the_inbox_keeps_the_first_of_a_key(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite")
    yes, no = (Reply(decision=d, channel=ReplyChannel.sms) for d in (Decision.confirm, Decision.decline))
    first = asyncio.run(inbox.add("sms:SM1", "r", "c", yes))
    again = asyncio.run(inbox.add("sms:SM1", "r", "c", no))  # Twilio retried the webhook
    assert (first.new, again.new, again.reply.decision) == (True, False, Decision.confirm)


schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    state = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SECONDROUND_STATE_DIR", str(state))
        get_settings.cache_clear()
        with (
            temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}),
            TestClient(app, raise_server_exceptions=False) as test_client,
        ):
            yield test_client
    get_settings.cache_clear()


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_server_error(case: Any, fuzzed: TestClient) -> None:
    # schemathesis generates; httpx (FastAPI's TestClient) sends: its own requests-based sender
    # trips over urllib3-future, which caldav's niquests installs in urllib3's place
    for headers in ({}, {"Authorization": "Bearer sandbox"}):
        sent = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        body = {k: sent[k] for k in ("json", "files") if sent.get(k) is not None}
        if sent.get("data") is not None:
            body["content" if isinstance(sent["data"], bytes | str) else "data"] = sent["data"]
        answer = fuzzed.request(
            sent["method"], sent["url"], headers=sent.get("headers"), params=sent.get("params"), **body
        )
        assert answer.status_code < 500, (case.method, case.path, answer.status_code, answer.text[:300])


def test_a_stop_is_kept_until_the_worker_has_it(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite")
    asyncio.run(inbox.opt_out("+12125550101", "stop"))
    asyncio.run(inbox.opt_out("+12125550101", "stop"))  # Twilio retried
    assert asyncio.run(inbox.unmirrored_opt_outs()) == ["+12125550101"]
    asyncio.run(inbox.mirrored("+12125550101"))
    assert asyncio.run(inbox.unmirrored_opt_outs()) == []
