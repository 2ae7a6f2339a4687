"""Her second chance, decided without Prefect: who gets one, and what her page and texts say."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from prefect.client.schemas.objects import FlowRun
from prefect.states import Completed, Paused, Running

from config.round import HiringRound
from flows.models import CallbackRequest, Decision, Outcome, Reply, ReplyChannel, Slot
from flows.replies import Standing
from flows.second_chance import deserves_second_chance
from sandbox.rounds import example_data
from web.choosing import picking
from web.late import second_chance_notice, settled_text

ROUND = HiringRound.model_validate(example_data())
GRETE = ROUND.candidate("grete-nilsen")
YES = Reply(decision=Decision.confirm, channel=ReplyChannel.sms, notes="texted 'YES'")


def standing(state: Any, *, outcome: Outcome | None = None, late: Reply | None = None, **changes: Any) -> Standing:
    round_ = ROUND.details
    if changes:
        round_ = round_.model_copy(update={"changes": round_.changes.model_copy(update=changes)})
    request = CallbackRequest(round=round_, candidate=GRETE, second_chance=late)
    return Standing(request=request, slot=None, run=FlowRun(flow_id=uuid4(), state=state), outcome=outcome)


def test_a_late_yes_or_another_time_after_a_silent_release_gets_a_second_chance() -> None:
    released = standing(Completed(), outcome=Outcome.released)
    assert deserves_second_chance(released, YES)
    assert deserves_second_chance(released, YES.model_copy(update={"decision": Decision.another_time}))


@pytest.mark.parametrize(
    ("where", "reply"),
    [
        (standing(Completed(), outcome=Outcome.released), YES.model_copy(update={"decision": Decision.decline})),
        (standing(Completed(), outcome=Outcome.declined), YES),  # she said no herself
        (standing(Completed(), outcome=Outcome.no_slot), YES),  # no time fitted hers: the recruiter's job
        (standing(Running(), outcome=None), YES),  # her run still waits: her answer is delivered to it
        (standing(Completed(), outcome=Outcome.released, late=YES), YES),  # a second chance is had once
        (standing(Completed(), outcome=Outcome.released, second_chance=False), YES),  # the round says no
        (standing(Completed(), outcome=Outcome.released, max_moves=0), YES),  # the recruiter finds every time
    ],
)
def test_no_second_chance_otherwise(where: Standing, reply: Reply) -> None:
    assert not deserves_second_chance(where, reply)


def test_her_page_and_texts_say_her_time_is_gone_and_other_times_are_coming() -> None:
    looking = standing(Running(), late=YES)
    for told in (
        second_chance_notice(looking),
        second_chance_notice(looking, text=True),
        settled_text(looking, answered=False),
    ):
        assert "no longer held for you" in told and ROUND.organisation.recruiter.name in told
        assert "already have your answer" not in told
    a = Slot(start=GRETE.interview_times[0].start, end=GRETE.interview_times[0].end, room_id="fleet")
    offer = Standing(
        request=looking.request, slot=None, run=FlowRun(flow_id=uuid4(), state=Paused(pause_key="choice-1")), offer=(a,)
    )
    view = picking(offer, [])
    assert view is not None and "first offered you is no longer held" in view.notice and len(view.offered) == 1


def test_the_second_chance_travels_in_her_runs_parameters() -> None:
    request = CallbackRequest(round=ROUND.details, candidate=GRETE, second_chance=YES)
    again = CallbackRequest.model_validate(request.model_dump(mode="json"))
    assert again.second_chance == YES and again.key("offer-1", attempt=1).step == "offer-1"
