"""The recruiter's form after a call, on the inbound service alone (Prefect on a closed port):
it records the call once, refuses changed, forged and expired links and her own links, and a
second submission shows the first and changes nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi.testclient import TestClient

from flows.models import Decision, ReplyChannel
from tests.test_web import client, isolated, rows, token  # noqa: F401  (fixtures)
from web.app import app
from web.inbox import Inbox

CALL = {
    "decision": "confirm",
    "enthusiasm": "5",
    "professionalism": "4",
    "questions": "Is there parking? Yes, two visitor spaces.",
    "for_panel": "Step-free access, please",
    "notes": "keen",
}


def test_the_call_is_recorded_once_with_every_field(tmp_path: Path) -> None:
    link = f"/recruiter/calls/{token(choice='recruiter')}"
    with TestClient(app) as service:  # the service (and its delivery loop) stops before we read its inbox
        page = service.get(link)
        assert page.status_code == 200 and "Record the call" in page.text and "Professionalism, 1 to 5" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        after = service.post(link, data=CALL)
        assert after.status_code == 200 and "Recorded on" in after.text and "enthusiasm 5/5" in after.text
        again = service.post(link, data=CALL | {"decision": "decline"})
        assert "Recorded on" in again.text and "confirm" in again.text and "Record the call" not in again.text
    assert rows(tmp_path) == 1
    first = asyncio.run(Inbox(tmp_path / "web" / "inbox.sqlite").first_decision("spring", "ana"))
    assert first is not None and first.key == "recruiter-call:spring.ana.1"
    reply = first.reply
    assert (reply.decision, reply.channel, reply.enthusiasm, reply.professionalism) == (
        Decision.confirm,
        ReplyChannel.recruiter,
        5,
        4,
    )
    assert (reply.questions, reply.for_panel, reply.notes) == (CALL["questions"], CALL["for_panel"], "keen")


def test_bad_expired_and_her_own_links_record_nothing(client: TestClient, tmp_path: Path) -> None:  # noqa: F811
    good = token(choice="recruiter")
    expired = token(choice="recruiter", expires=datetime.now(timezone.utc) - timedelta(minutes=1))
    for bad, status in ((good[:-1] + ("A" if good[-1] != "A" else "B"), 400), (expired, 410), (token(), 400)):
        for answer in (client.get(f"/recruiter/calls/{bad}"), client.post(f"/recruiter/calls/{bad}", data=CALL)):
            assert answer.status_code == status and "Nothing was recorded" in answer.text
    assert client.get(f"/r/{good}").status_code == 400  # her page refuses the recruiter's link
    assert rows(tmp_path) == 0


def test_a_score_out_of_range_gets_a_page_not_a_record(client: TestClient, tmp_path: Path) -> None:  # noqa: F811
    link = f"/recruiter/calls/{token(choice='recruiter')}"
    for wrong in ({"enthusiasm": "9"}, {"decision": "hire"}, {"professionalism": "x"}):
        answer = client.post(link, data=CALL | wrong)
        assert answer.status_code == 422 and "scores from 1 to 5" in answer.text
    assert rows(tmp_path) == 0
