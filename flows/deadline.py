"""The reply deadline: a durable timer that resumes a waiting candidate run with "no reply"
(for the panel's report on the day, "no report").

Arming it creates a scheduled run of the ``reply-deadline`` deployment (idempotency key per
candidate, attempt and owning run), so nothing is held while we wait and a crash or a replay
never arms two. When it fires it resumes the run only if that run still waits on the same
wait (its pause key: ``Wait.reply.pause_key(n)``, or a wait for her hours, ``Wait.call_window``
or ``Wait.text_window``): a late timer
after a reply is a no-op. A fresh run that takes over from a crashed one arms its own timer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from prefect import flow, get_client, get_run_logger, task
from prefect.cache_policies import CacheKeyFnPolicy
from prefect.context import TaskRunContext
from prefect.deployments import arun_deployment
from pydantic import BaseModel, Field, field_validator

from flows.day_report import Attendance, DayReport
from flows.deployments import DEADLINE, candidate_tag, round_tag
from flows.models import Decision, Reply, ReplyChannel, Wait
from tasks.effects import Done, EffectKey, done
from tasks.run_inputs import resume_waiting


class DeadlineRequest(BaseModel):
    flow_run_id: str = Field(description="The candidate-callback run to resume")
    pause_key: str = Field(description="The wait it must still be in, e.g. reply-1 or call-window-1")
    round_id: str = Field(description="Round, for the record")
    candidate_id: str = Field(description="Candidate, for the record")

    @field_validator("pause_key")
    @classmethod
    def _one_of_our_waits(cls, value: str) -> str:
        if Wait.of(value) is None:
            kinds = ", ".join(f"{w.value}-<n>" for w in Wait)
            raise ValueError(f"{value!r} is not a wait of a candidate run ({kinds})")
        return value

    @property
    def wait(self) -> Wait:
        wait = Wait.of(self.pause_key)
        assert wait is not None  # validated
        return wait


class Fired(BaseModel):
    """What a due timer did: resumed her run, or nothing (and why)."""

    resumed: bool
    detail: str

    def __str__(self) -> str:
        return f"{'resumed' if self.resumed else 'nothing to do'}: {self.detail}"


async def fire(request: DeadlineRequest) -> Fired:
    """What the timer does when due: resume her run with "no reply" if it still waits on the same
    wait. Also done by the stuck-candidates check for a timer that died."""
    async with get_client() as client:
        run = await client.read_flow_run(UUID(request.flow_run_id))
    state = run.state
    if state is None or not state.is_paused() or state.state_details.pause_key != request.pause_key:
        return Fired(resumed=False, detail=f"{request.candidate_id} is {state.name if state else 'unknown'}")
    nothing: BaseModel = (
        DayReport(came=Attendance.no_report)
        if request.wait is Wait.report
        else Reply(decision=Decision.no_reply, channel=ReplyChannel.deadline)
    )
    restored = await resume_waiting(UUID(request.flow_run_id), nothing)
    mended = " (its input schema restored: its process died while suspending)" if restored else ""
    return Fired(resumed=True, detail=f"{request.wait.opened} ({request.pause_key}){mended}")


@flow(name="reply-deadline", retries=3, retry_delay_seconds=5)  # a busy SQLite server answers 503
async def reply_deadline(request: DeadlineRequest) -> str:
    fired = await fire(request)
    get_run_logger().info("%s: %s", request.candidate_id, fired)
    return "resumed" if fired.resumed else "no-op"


def _per_run(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return f"{parameters['key']}.{parameters['flow_run_id']}"


@task(name="arm-deadline", cache_policy=CacheKeyFnPolicy(cache_key_fn=_per_run))
async def arm_deadline(key: EffectKey, *, flow_run_id: str, pause_key: str, due: datetime) -> Done:
    timer = await arun_deployment(
        DEADLINE,
        parameters={
            "request": DeadlineRequest(
                flow_run_id=flow_run_id, pause_key=pause_key, round_id=key.round_id, candidate_id=key.candidate_id
            ).model_dump()
        },
        scheduled_time=due,
        idempotency_key=f"{key}.{flow_run_id}",
        timeout=0,
        as_subflow=False,
        tags=[round_tag(key.round_id), f"deadline-{candidate_tag(key.round_id, key.candidate_id)}"],
        flow_run_name=f"deadline-{key.candidate_id}-{pause_key}",
    )
    return done(key, f"reply deadline set for {due:%Y-%m-%d %H:%M:%S}Z (timer run {timer.name})")
