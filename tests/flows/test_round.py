"""hiring-round and the deployments: idempotent fan-out, bad files, late replies, racing runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml
from prefect import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import arun_deployment

from config.errors import NoWaitingRunError
from flows.models import CallbackResult, Decision, Outcome, Reply, ReplyChannel
from flows.ops.status import callback_runs
from flows.replies import deliver_reply
from sandbox.harness import Harness
from sandbox.peers import PROJECT_DIR
from sandbox.rounds import candidate, next_phone, round_data, write_round

pytestmark = pytest.mark.stack


async def run_round(path: Path) -> FlowRun:
    run = await arun_deployment(
        "hiring-round/example", parameters={"request": {"round_file": str(path)}}, timeout=240, as_subflow=False
    )
    assert run.state is not None
    return run


def test_running_a_round_twice_starts_each_candidate_once(harness: Harness, tmp_path: Path) -> None:
    data = round_data("twice", [candidate("ivy", day=7), candidate("jon", day=8)])
    harness.round(data, {"ivy": ["answer-confirm"], "jon": ["answer-decline"]})
    path = write_round(tmp_path, data)

    async def play() -> tuple[Any, Any, list[FlowRun]]:
        first, second = await run_round(path), await run_round(path)
        runs = await callback_runs("twice")
        await harness.wait([r.id for r in runs], timeout=240)
        return await first.state.aresult(), await second.state.aresult(), runs  # type: ignore[union-attr]

    first, second, runs = asyncio.run(play())
    assert len(runs) == 2
    assert sorted(s.flow_run_id for s in first) == sorted(s.flow_run_id for s in second)
    assert {str(r.id) for r in runs} == {s.flow_run_id for s in first}
    calls = sorted(e.key for e in harness.ledger.effects(round_id="twice") if e.channel == "call")
    assert calls == ["twice.ivy.1.call", "twice.jon.1.call"]


def test_a_corrected_phone_and_email_reach_her_next_attempt_and_nothing_is_sent_twice(
    harness: Harness, tmp_path: Path
) -> None:
    data = round_data("fix", [candidate("kit", day=9)])
    data["cadence"]["reply_window"] = "PT96H"  # 32 s here: time to correct the file while she waits
    harness.round(data, {"kit": ["no-answer", "no-answer"]})
    new_phone = next_phone()
    harness.script(new_phone, ["no-answer"])
    path = write_round(tmp_path, data)

    async def play() -> CallbackResult:
        await run_round(path)
        run_id = await harness.waiting("fix", "kit")
        data["candidates"][0] |= {"phone": new_phone, "email": "kit.new@mail.example"}
        write_round(tmp_path, data)
        await run_round(path)  # the round run again: her run is found, not started again
        await harness.wait([run_id], timeout=240)
        return await harness.result(run_id)

    result = asyncio.run(play())
    sent = harness.effects("fix", "kit")
    to = {(e.attempt, e.channel): e.recipient for e in sent if e.attempt}
    assert to[(1, "email")] == "kit@mail.example" and to[(2, "email")] == "kit.new@mail.example"
    assert to[(1, "call")] != new_phone and to[(2, "call")] == new_phone
    assert all(e.tries == 1 for e in sent) and len({e.key for e in sent}) == len(sent)
    assert any("contact details corrected in the round file" in line.detail for line in result.timeline)


def test_a_provisional_catering_notice_before_the_call_is_cancelled_when_she_declines(harness: Harness) -> None:
    data = round_data("lunch", [candidate("liv", day=10)])
    data["catering"]["when"] = "before_call"
    round_ = harness.round(data, {"liv": ["answer-decline"]})

    async def play() -> CallbackResult:
        run_id = await harness.start(round_, "liv")
        await harness.wait([run_id], timeout=240)
        return await harness.result(run_id)

    assert asyncio.run(play()).outcome is Outcome.declined
    steps = harness.steps("lunch", "liv")
    assert steps.index("0.catering-notice") < steps.index("1.call") < steps.index("0.catering-cancel")
    assert "0.catering-order" not in steps
    notice = next(e for e in harness.effects("lunch", "liv") if e.key.endswith(".catering-notice"))
    assert notice.recipient == "facilities@northwind.example"


def test_a_late_reply_after_release_changes_nothing(harness: Harness) -> None:
    before = harness.ledger.effects(round_id="twice", candidate_id="jon")
    assert before, "needs the round above"
    with pytest.raises(NoWaitingRunError, match="not waiting for a reply"):
        asyncio.run(
            deliver_reply("twice", "jon", Reply(decision=Decision.confirm, channel=ReplyChannel.link), patience=5)
        )
    assert harness.ledger.effects(round_id="twice", candidate_id="jon") == before

    async def states() -> set[str]:
        return {str(r.state.name) for r in await callback_runs("twice") if r.state}

    assert asyncio.run(states()) == {"Completed"}


def test_an_invalid_round_file_fails_naming_every_problem_and_starts_nobody(harness: Harness, tmp_path: Path) -> None:
    data = round_data("broken", [candidate("kim", day=7), candidate("lou", day=8)])
    data["candidates"][0]["phone"] = "+1 555 0100"
    data["candidates"][1]["time_zone"] = "Europe/Atlantis"
    path = write_round(tmp_path, data)

    async def play() -> tuple[FlowRun, list[FlowRun]]:
        return await run_round(path), await callback_runs("broken")

    run, started = asyncio.run(play())
    assert run.state is not None and run.state.is_failed()
    message = run.state.message or ""
    assert "candidates[0].phone" in message and "candidates[1].time_zone" in message
    assert started == [] and harness.ledger.effects(round_id="broken") == []


def test_two_racing_runs_for_one_candidate_act_once(harness: Harness) -> None:
    round_ = harness.round(round_data("race", [candidate("max", day=9)]), {"max": ["answer-confirm"]})

    async def play() -> list[Any]:
        ids: list[UUID] = list(await asyncio.gather(harness.start(round_, "max"), harness.start(round_, "max")))
        await harness.wait(ids, timeout=240)
        return [await harness.result(i) for i in ids]

    results = asyncio.run(play())
    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes == sorted([Outcome.confirmed.value, Outcome.duplicate.value])
    assert [e.channel for e in harness.ledger.effects(round_id="race") if e.channel == "call"] == ["call"]


def test_prefect_yaml_declares_the_deployments(harness: Harness) -> None:
    async def read() -> dict[str, Any]:
        async with get_client() as client:
            return {f"{d.name}": d for d in await client.read_deployments()}

    deployments = asyncio.run(read())
    assert {"example", "candidate-callback", "reply-deadline", "retention", "day-lists"} <= set(deployments)
    [daily] = deployments["retention"].schedules
    [hourly] = deployments["day-lists"].schedules
    assert (daily.schedule.cron, hourly.schedule.cron) == ("0 3 * * *", "5 * * * *")
    # active as shipped; the test stack pauses every schedule, so that runs start when a test says
    declared = {d["name"]: d for d in yaml.safe_load((PROJECT_DIR / "prefect.yaml").read_text())["deployments"]}
    assert declared["retention"]["schedules"][0]["active"] and declared["day-lists"]["schedules"][0]["active"]
    [schedule] = deployments["example"].schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 9 * * 1-5", "Europe/London")
    schema = deployments["candidate-callback"].parameter_openapi_schema
    assert "CallbackRequest" in str(schema) and "The candidate to call back" in str(schema)


def test_a_calendar_that_refuses_us_rolls_back_every_hold_and_sends_no_call(harness: Harness) -> None:
    """The saga: the room and one panel member are held, the other panel member's calendar
    refuses the hold; every hold made is released, each slot tried fails the same way, and she
    is released as "no slot" with the reason on her timeline, never called."""
    data = round_data("saga", [candidate("una", day=9)])
    round_ = harness.round(data, {"una": ["answer-confirm"]})
    refused = f"hold-{round_.plan.panel[1]}-try"  # Tom's calendar takes no holds

    async def play() -> Any:
        run_id = await harness.start(round_, "una", env={"SECONDROUND_FAULT_REFUSE": refused})
        await harness.wait([run_id], timeout=240)
        return await harness.result(run_id)

    result = asyncio.run(play())
    assert result.outcome is Outcome.no_slot
    assert harness.holds("saga", "una") == []  # the room and Amara's holds were made, then released
    held = [line for line in result.timeline if line.step.startswith("hold-room") and "held" in line.detail]
    released = [line for line in result.timeline if line.step.startswith("release-hold-room")]
    failures = [line.detail for line in result.timeline if line.step.startswith("hold-failed")]
    assert held and len(released) == len(held) == len(failures)  # every slot tried was undone
    assert all("refused" in f for f in failures)
    assert [e.channel for e in harness.ledger.effects(round_id="saga") if e.channel == "call"] == []


def test_a_declined_slot_goes_to_the_first_waitlisted_candidate_free_then(harness: Harness, tmp_path: Path) -> None:
    people = [
        candidate("amy", day=10),
        candidate("bea", day=11, waitlist_rank=1),  # free another day: not offered
        candidate("cai", day=10, waitlist_rank=2),
    ]
    data = round_data("wait", people)
    harness.round(data, {"amy": ["answer-decline"], "bea": ["answer-confirm"], "cai": ["answer-confirm"]})
    path = write_round(tmp_path, data)

    async def play() -> dict[str, Any]:
        await run_round(path)
        runs: list[FlowRun] = []
        for _ in range(240):
            runs = await callback_runs("wait")
            if len(runs) == 2:
                break
            await asyncio.sleep(1)
        await harness.wait([r.id for r in runs], timeout=240)
        finished = [await harness.result(r.id) for r in runs]
        return {result.candidate_id: result for result in finished}

    results = asyncio.run(play())
    assert set(results) == {"amy", "cai"}
    assert results["amy"].outcome is Outcome.declined
    assert results["cai"].outcome is Outcome.confirmed and results["cai"].slot == results["amy"].slot
    assert any("slot offered to Cai Test" in line.detail for line in results["amy"].timeline)
    assert harness.holds("wait", "amy") == [] and harness.holds("wait", "cai") == ["CONFIRMED"] * 3


def test_a_video_interview_gets_one_meeting_from_the_lead_interviewers_calendar(harness: Harness) -> None:
    """No link in the round file: the lead interviewer's Google calendar makes a Meet on her
    booked event, and her confirmation, her invite and the panel's briefings all carry it."""
    data = round_data("video", [candidate("vic", day=9)])
    data["plan"]["format"] = "video"
    lead = data["plan"]["panel"][0]
    data["staff"] = [
        {**s, "calendar": f"google:{s['id']}@northwind.example"} if s["id"] == lead else s for s in data["staff"]
    ]
    round_ = harness.round(data, {"vic": ["answer-confirm"]})

    async def play() -> CallbackResult:
        run_id = await harness.start(round_, "vic")
        await harness.wait([run_id], timeout=240)
        return await harness.result(run_id)

    result = asyncio.run(play())
    assert result.outcome is Outcome.confirmed
    [made] = [line for line in result.timeline if line.step == "meeting-link"]
    link = made.detail.rsplit(": ", 1)[1]
    assert link.startswith("https://meet.example/"), made.detail
    sent = {e.key.rsplit(".", 1)[1]: e.body["body"] for e in harness.effects("video", "vic") if e.channel == "email"}
    assert link in sent["confirmation"]
    assert all(link in sent[f"briefing-{staff_id}"] for staff_id in data["plan"]["panel"])
