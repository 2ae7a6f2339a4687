"""Every reply channel of web/ end to end: the real service, the sandbox Twilio, the local stack.

Each candidate is called (nobody answers), emailed, and waits; then she answers the way people
do: on her page from the email's link, by text, by calling back, or through the recruiter.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from flows.messages import clock
from flows.models import CallbackResult, Decision, Outcome, ReplyChannel
from sandbox.harness import Harness
from sandbox.peers import SANDBOX_TOKEN
from tests.flows.erasure_search import erase_and_search
from tests.flows.inbound_round import ROUND, play_inbound

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def played(harness: Harness) -> dict[str, Any]:
    return play_inbound(harness)


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
    # she was emailed another time to pick and picked none in time: the recruiter takes over
    assert "1.offer-email-1" in harness.steps(ROUND, "vic")
    assert any(line.step == "choice-reply" and "no time picked" in line.detail for line in vic.timeline)
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


def test_an_answer_after_her_time_has_passed_gets_the_truth(played: dict[str, Any], harness: Harness) -> None:
    yan = results(played)["yan"]
    assert yan.reply is not None and yan.reply.decision is Decision.no_reply  # she never answered
    assert (yan.outcome, yan.attempts) == (Outcome.released, 2)
    for told in (played["yan-yes"], played["yan-page"].text, played["yan-posted"].text, *played["yan-call"]["twiml"]):
        assert "already have your answer" not in told and "already recorded" not in told
        assert "no longer held for you" in told and "Priya Raman" in told  # whom to contact
    assert "times still free" in played["yan-yes"]  # her second chance, said at once
    for page in (played["yan-page"], played["yan-posted"]):
        assert page.status_code == 200 and 'value="confirm"' not in page.text  # no answer to give again
        assert "We cannot show" not in page.text
    assert "<Gather" not in played["yan-call"]["twiml"][0]  # no keypad menu for a closed invitation
    with sqlite3.connect(Path(harness.stack.env["SECONDROUND_STATE_DIR"]) / "web" / "inbox.sqlite") as db:
        kept = db.execute("select key, state from replies where candidate_id = 'yan' order by rowid").fetchall()
    assert [state for _, state in kept[:2]] == ["late", "late"] and kept[0][0].startswith("sms:")  # not acted on
    assert len([e for e in harness.effects(ROUND, "yan") if e.key.endswith(".confirmation")]) == 0
    row = next(r for r in played["table"] if r["candidate"] == "Yan Test")
    assert row["late answer"].startswith("confirm by link, ")  # her latest, for the recruiter
    assert next(r for r in played["table"] if r["candidate"] == "Sam Test")["late answer"].startswith("decline by sms")


def test_a_late_yes_gets_a_second_chance_at_the_times_still_free(played: dict[str, Any], harness: Harness) -> None:
    second, offered, round_ = played["yan-second"], played["yan-offered"], harness.rounds[ROUND]
    assert played["yan-runs"] == 2  # a text and a page post: one second chance
    assert "The interview time we first offered you is no longer held" in played["yan-offer"].text
    when = clock.written(offered[0].start, round_.venue_zone, round_.candidate("yan").time_zone)
    assert when in played["yan-offer"].text
    assert (second.outcome, second.slot) == (Outcome.confirmed, offered[0])
    steps = [line.step for line in second.timeline]
    assert "first-run" in steps and "call" in steps and "reply" in steps  # her whole story in one timeline
    mails = {e.key.split(".", 2)[-1]: e for e in harness.effects(ROUND, "yan") if e.channel == "email"}
    assert mails["1.offer-email-1"].body["subject"].startswith("Times still free")
    invite = mails["0.confirmation-move1"].body["invite"]
    assert (invite["method"], invite["sequence"]) == ("REQUEST", 2) and invite["start"] == offered[0].start.isoformat()
    assert "0.recruiter-alert" in mails and "0.recruiter-alert-move1" not in mails  # told of the release, once
    assert harness.holds(ROUND, "yan") == ["CONFIRMED"] * 3
    assert "Your new time is confirmed" in played["yan-moved"].text


def test_she_picks_another_time_herself_and_is_confirmed_on_it(played: dict[str, Any], harness: Harness) -> None:
    zoe, offered = results(played)["zoe"], played["zoe-offered"]
    round_ = harness.rounds[ROUND]
    assert len(offered) == 2 and all(s.start.date() != offered[0].start.date() for s in offered[1:])
    page = played["zoe-offer"]
    for slot in offered:  # on the venue's clock, hers beside
        assert clock.written(slot.start, round_.venue_zone, round_.candidate("zoe").time_zone) in page.text
    assert (zoe.outcome, zoe.slot) == (Outcome.confirmed, offered[1])
    assert zoe.reply is not None and zoe.reply.chosen == offered[1]
    assert "we are booking" in played["zoe-picked"].text
    moved = played["zoe-moved"].text
    assert "Your new time is confirmed" in moved
    assert clock.written(offered[1].start, round_.venue_zone, round_.candidate("zoe").time_zone) in moved
    mails = {e.key.split(".")[-1]: e for e in harness.effects(ROUND, "zoe") if e.channel == "email"}
    invite = mails["confirmation-move1"].body["invite"]
    assert (invite["method"], invite["sequence"]) == ("REQUEST", 2) and invite["start"] == offered[1].start.isoformat()
    assert invite["uid"] == f"{ROUND}.zoe.interview@{harness.stack.read_settings().mail_domain}"
    assert "confirmation" not in mails  # never confirmed on the time she turned down
    assert harness.holds(ROUND, "zoe") == ["CONFIRMED"] * 3  # the old time's holds are gone


def test_a_time_taken_before_her_pick_arrives_is_offered_again_without_it(
    played: dict[str, Any], harness: Harness
) -> None:
    ada = results(played)["ada"]
    first, second = played["ada-offers"]
    assert first[0] not in second and "We are sorry" in played["ada-again"].text
    assert (ada.outcome, ada.slot) == (Outcome.confirmed, second[0])
    lost = [line for line in ada.timeline if line.step.startswith("hold-") and "could not hold" in line.detail]
    assert len(lost) == 1 and "1.offer-email-2" in harness.steps(ROUND, "ada")  # told the time was taken
    assert harness.holds(ROUND, "ada") == ["CONFIRMED"] * 3


def test_erasing_a_candidate_leaves_nothing_of_her_in_any_store(played: dict[str, Any], harness: Harness) -> None:
    """Runs last: it erases Lin (confirmed, booked) and Tom (released, texted STOP)."""
    people = {cid: harness.rounds[ROUND].candidate(cid) for cid in ("lin", "tom")}
    found = asyncio.run(erase_and_search(harness, ROUND, people))
    assert (
        found["reports"]["lin"][0] == "lin in inbound: erased"
        and "2 booking(s) redacted" not in found["reports"]["tom"]
    )
    assert any("3 booking(s) redacted" in line for line in found["reports"]["lin"])
    assert found["again"][0] == "lin in inbound: erased" and any("0 run(s) of hers" in line for line in found["again"])
    assert (found["files"], found["prefect"], found["runs"]) == ([], [], []), found
    assert found["bookings"] and all("candidate (erased)" in summary for summary in found["bookings"])
    due, today = found["retention"]  # 181 days after the plan's last day, everyone left is due; today no one
    assert {"sam", "uma", "zoe"} <= set(due) and not {"lin", "tom"} & set(due) and today == {}
    assert results(played)["sam"].outcome is Outcome.confirmed and harness.effects(ROUND, "sam")  # the others stay
