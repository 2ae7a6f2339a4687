"""Every reply channel of web/ end to end: the real service, the sandbox Twilio, the local stack.

Each candidate is called (nobody answers), emailed, and waits; then she answers the way people
do: on her page from the email's link, by text, by calling back, or through the recruiter.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from twilio.request_validator import RequestValidator

from flows.messages import clock
from flows.models import CallbackResult, Decision, Outcome, Reply, ReplyChannel
from flows.replies import deliver_reply, inbox
from sandbox.harness import Harness
from sandbox.peers import SANDBOX_TOKEN
from sandbox.rounds import candidate, round_data
from web.inbox import Inbox

pytestmark = pytest.mark.stack
ROUND = "inbound"
CALLS = {"lin": ["no-answer"], "sam": ["no-answer"], "tom": ["no-answer", "no-answer"], "uma": ["no-answer"]}
CALLS |= {"vic": ["no-answer"], "wes": ["no-answer"], "xia": ["no-answer"]}


def links(harness: Harness, cid: str) -> list[str]:
    return harness.links(ROUND, cid)


@dataclass
class Play:
    harness: Harness
    http: httpx.AsyncClient
    phone: dict[str, str]
    seen: dict[str, Any] = field(default_factory=dict)

    @property
    def web(self) -> str:
        return self.harness.stack.web_url

    async def texts(self, cid: str, body: str) -> str:
        """She texts us (the sandbox Twilio posts the signed webhook); our TwiML answer."""
        sms = {"from": self.phone[cid], "body": body}
        answer = await self.http.post(f"{self.harness.stack.twilio_url}/sandbox/inbound-sms", json=sms)
        return str(answer.json()["twiml"])


async def lin(p: Play) -> None:
    await Harness.waiting(ROUND, "lin")
    confirm, decline, _ = links(p.harness, "lin")
    p.seen["tampered"] = await p.http.get(confirm[:-2] + ("AA" if not confirm.endswith("AA") else "BB"))
    p.seen["page"] = await p.http.get(decline)
    p.seen["posted"] = await p.http.post(decline, data={"choice": "confirm"})


async def sam(p: Play) -> None:
    await Harness.waiting(ROUND, "sam")
    forged = {"From": p.phone["sam"], "Body": "NO"}
    p.seen["forged"] = await p.http.post(f"{p.web}/twilio/sms", data=forged, headers={"X-Twilio-Signature": "x"})
    p.seen["sam-yes"] = await p.texts("sam", "Yes")


async def tom(p: Play) -> None:
    await Harness.waiting(ROUND, "tom")
    p.seen["tom-help"] = await p.texts("tom", "HELP")
    p.seen["tom-stop"] = await p.texts("tom", "STOP")


async def uma(p: Play) -> None:
    await Harness.waiting(ROUND, "uma")
    call = {"from": p.phone["uma"], "digits": "2"}
    answer = await p.http.post(f"{p.harness.stack.twilio_url}/sandbox/inbound-call", json=call)
    p.seen["uma-call"] = answer.json()["twiml"]


async def vic(p: Play) -> None:
    await Harness.waiting(ROUND, "vic")
    body = {"round_id": ROUND, "candidate_id": "vic", "decision": "another_time"}
    body["preferred_time"] = "Thursdays after 2pm"
    p.seen["vic-anon"] = await p.http.post(f"{p.web}/recruiter/replies", json=body)
    auth = {"Authorization": "Bearer sandbox", "Idempotency-Key": "vic-call-1"}
    p.seen["vic-1"] = (await p.http.post(f"{p.web}/recruiter/replies", json=body, headers=auth)).json()
    p.seen["vic-2"] = (await p.http.post(f"{p.web}/recruiter/replies", json=body, headers=auth)).json()


async def wes(p: Play) -> None:
    # the service crashed after storing her reply on the run and before noting it: it is
    # delivered again under the same key, twice at once even; the run gets it once
    await Harness.waiting(ROUND, "wes")
    reply = Reply(decision=Decision.confirm, channel=ReplyChannel.link)
    twice = (deliver_reply(ROUND, "wes", reply, key="link:inbound.wes") for _ in range(2))
    delivered = await asyncio.gather(*twice)
    p.seen["wes-inbox"] = await inbox(UUID(delivered[0]))


async def xia(p: Play) -> None:
    # her answer came in while Prefect was unreachable: it sits in the service's inbox as
    # pending (stored, thanked, not delivered); the delivery loop picks it up on its own
    await Harness.waiting(ROUND, "xia")
    pending = Inbox(Path(p.harness.stack.env["SECONDROUND_STATE_DIR"]) / "web" / "inbox.sqlite")
    reply = Reply(decision=Decision.confirm, channel=ReplyChannel.sms, notes="stored while Prefect was down")
    await pending.add("sms:SM-while-down", ROUND, "xia", reply)


@pytest.fixture(scope="module")
def played(harness: Harness) -> dict[str, Any]:
    people = [
        candidate("lin", day=7),
        candidate("sam", day=8, sms=True),
        candidate("tom", day=9, sms=True),
        candidate("uma", day=10),
        candidate("vic", day=11),
        candidate("wes", day=14),
        candidate("xia", day=15),
    ]
    round_ = harness.round(round_data(ROUND, people), CALLS)

    async def play() -> dict[str, Any]:
        ids = {cid: await harness.start(round_, cid) for cid in CALLS}
        async with httpx.AsyncClient(timeout=60, follow_redirects=True) as http:
            p = Play(harness, http, {c.id: c.phone for c in round_.candidates})
            await asyncio.gather(*(scenario(p) for scenario in (lin, sam, tom, uma, vic, wes, xia)))
            await harness.wait(list(ids.values()), timeout=300)
            p.seen["results"] = {cid: await harness.result(run_id) for cid, run_id in ids.items()}
            decline = links(harness, "lin")[1]
            p.seen["again"] = await http.post(decline, data={"choice": "decline"})  # after the decision
            p.seen["sam-no"] = await p.texts("sam", "no")
            return p.seen

    return asyncio.run(play())


def results(played: dict[str, Any]) -> dict[str, CallbackResult]:
    return played["results"]  # type: ignore[no-any-return]


def test_her_page_shows_the_interview_and_her_answer_confirms(played: dict[str, Any], harness: Harness) -> None:
    page = played["page"]
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    assert '<html lang="en">' in page.text and "Yes, I will come" in page.text
    assert "Please suggest another time" in page.text
    lin, zone = results(played)["lin"], harness.rounds[ROUND].candidate("lin").time_zone
    assert lin.slot is not None
    # the venue's clock first, hers beside it when they differ
    assert clock.written(lin.slot.start, harness.rounds[ROUND].venue_zone, zone) in page.text
    assert played["posted"].status_code == 200 and "you will come" in played["posted"].text  # after the 303
    assert (lin.outcome, lin.reply.channel if lin.reply else None) == (Outcome.confirmed, ReplyChannel.link)


def test_a_second_answer_shows_the_first_and_changes_nothing(played: dict[str, Any]) -> None:
    again = played["again"]
    assert again.status_code == 200 and "you will come" in again.text and "<form" not in again.text
    assert results(played)["lin"].outcome is Outcome.confirmed


def test_a_tampered_link_gets_a_clear_page_and_no_action(played: dict[str, Any]) -> None:
    assert played["tampered"].status_code == 400 and "not valid" in played["tampered"].text
    assert "Nothing was recorded" in played["tampered"].text


def test_yes_by_text_confirms_and_a_late_no_is_answered_not_acted_on(played: dict[str, Any], harness: Harness) -> None:
    assert played["forged"].status_code == 403
    assert "confirmed" in played["sam-yes"]
    sam = results(played)["sam"]
    assert (sam.outcome, sam.reply.channel if sam.reply else None) == (Outcome.confirmed, ReplyChannel.sms)
    assert "already have your answer" in played["sam-no"]
    with sqlite3.connect(Path(harness.stack.env["SECONDROUND_STATE_DIR"]) / "web" / "inbox.sqlite") as db:
        states = db.execute("select state, detail from replies where candidate_id = 'sam' order by rowid").fetchall()
    assert states == [("delivered", ""), ("late", "texted after her decision")]  # the NO is on record, not acted on


def test_stop_ends_every_text_at_once(played: dict[str, Any], harness: Harness) -> None:
    assert "reply YES" in played["tom-help"] and "<Response" in played["tom-stop"]
    tom = results(played)["tom"]
    assert (tom.outcome, tom.attempts) == (Outcome.released, 2)
    texts = [e for e in harness.effects(ROUND, "tom") if e.channel == "sms"]
    assert [e.attempt for e in texts] == [1]  # the second attempt's text was never sent
    second = next(line for line in tom.timeline if line.step == "sms" and line.attempt == 2)
    assert "STOP" in second.detail


def test_calling_back_she_hears_the_invitation_and_declines(played: dict[str, Any]) -> None:
    first, second = played["uma-call"]
    assert "<Gather" in first and "second interview" in first and "Thank you for letting us know" in second
    uma = results(played)["uma"]
    assert (uma.outcome, uma.reply.channel if uma.reply else None) == (Outcome.declined, ReplyChannel.call)


def test_the_recruiter_records_another_time_once(played: dict[str, Any], harness: Harness) -> None:
    assert played["vic-anon"].status_code == 401
    assert played["vic-1"]["new"] is True and played["vic-2"]["new"] is False
    assert played["vic-1"]["key"] == played["vic-2"]["key"]
    vic = results(played)["vic"]
    assert vic.outcome is Outcome.rescheduling and vic.reply is not None
    assert (vic.reply.decision, vic.reply.preferred_time) == (Decision.another_time, "Thursdays after 2pm")
    alert = next(e for e in harness.effects(ROUND, "vic") if e.key.endswith(".recruiter-alert"))
    assert "Thursdays after 2pm" in alert.body["body"]
    notice = next(e for e in harness.effects(ROUND, "vic") if e.key.endswith(".release-notice"))
    assert "another time" in notice.body["body"]


def test_a_forged_webhook_is_refused(harness: Harness) -> None:
    url = f"{harness.stack.web_url}/twilio/sms"
    good = RequestValidator(SANDBOX_TOKEN).compute_signature(url, {"From": "+1", "Body": "YES"})
    assert httpx.post(url, data={"From": "+1", "Body": "NO"}, headers={"X-Twilio-Signature": good}).status_code == 403


def test_a_reply_delivered_twice_under_one_key_is_stored_once(played: dict[str, Any]) -> None:
    assert len(played["wes-inbox"]) == 1
    assert results(played)["wes"].outcome is Outcome.confirmed


def test_a_reply_stored_while_prefect_was_down_is_delivered_when_it_is_back(played: dict[str, Any]) -> None:
    xia = results(played)["xia"]
    assert xia.outcome is Outcome.confirmed and xia.reply is not None
    assert xia.reply.notes == "stored while Prefect was down"
