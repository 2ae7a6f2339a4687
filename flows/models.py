"""Typed inputs and outputs of the flows; their field descriptions become the Prefect UI forms.

Result classes live here, not beside their flows: a deployment loads its entrypoint file as a
top-level module, and a class defined there could not be unpickled anywhere else.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from prefect.input import RunInput
from pydantic import BaseModel, Field

from config.round import Candidate, RoundDetails
from flows.day_report import DayReport
from flows.planning.model import Slot as Slot  # noqa: PLC0414  (re-exported: the flows' slot is the planner's)
from flows.planning.reminders import PlannedReminder
from flows.redo import Contact as Contact  # noqa: PLC0414  (re-exported: the steps a rerun redoes)
from flows.redo import RedoFrom as RedoFrom  # noqa: PLC0414
from tasks.effects import Done, EffectKey


class Decision(StrEnum):
    confirm = "confirm"
    decline = "decline"
    another_time = "another_time"
    no_reply = "no_reply"


class ReplyChannel(StrEnum):
    call = "call"
    link = "link"
    sms = "sms"
    recruiter = "recruiter"
    deadline = "deadline"


class Reply(RunInput):
    """The candidate's answer, or the deadline's "no reply". Recruiters fill this in the UI."""

    decision: Decision = Field(description="What the candidate decided (no_reply: she has not answered yet)")
    channel: ReplyChannel = Field(default=ReplyChannel.recruiter, description="How the answer reached us")
    preferred_time: str = Field(
        default="", max_length=500, description="Times that would suit her instead (with another_time)"
    )
    enthusiasm: int | None = Field(
        default=None, ge=1, le=5, description="Her enthusiasm as the recruiter heard it, 1 to 5"
    )
    professionalism: int | None = Field(
        default=None, ge=1, le=5, description="Her professionalism as the recruiter heard it, 1 to 5"
    )
    questions: str = Field(default="", max_length=2000, description="The questions she asked, and the answers given")
    for_panel: str = Field(
        default="", max_length=1000, description="Anything the panel should know (access needs, dietary)"
    )
    notes: str = Field(default="", max_length=2000, description="Anything the recruiter wants on record")
    chosen: Slot | None = Field(
        default=None, description="With confirm, when she picks another time: the time she picked of those offered"
    )
    answers: str = Field(
        default="",
        max_length=40,
        description="Empty for her answer to the invitation; the wait it answers when she picks a time (choice-1), "
        "asks to move or cancel (day-0), or the panel reports (report-0)",
    )
    report: DayReport | None = Field(default=None, description="The panel's report (with answers report-<n>)")

    def answers_wait(self, pause_key: str) -> bool:
        """Whether this answers the wait ``pause_key``: her answer to the invitation a reply wait;
        a pick the one offer it was made for; a change of plan any wait before the day of the
        time she held when she asked (``day-<move>``, ``day-<move>-2``)."""
        wait = Wait.of(pause_key)
        if not self.answers:
            return wait is Wait.reply
        return pause_key == self.answers or (wait is Wait.day and pause_key.startswith(f"{self.answers}-"))

    def impressions(self) -> str:
        """The recruiter's impressions in one line, for her timeline ("" when none were given)."""
        scores = (("enthusiasm", self.enthusiasm), ("professionalism", self.professionalism))
        parts = [f"{name} {value}/5" for name, value in scores if value is not None]
        parts += [f"she asked: {self.questions}"] if self.questions else []
        parts += [f"for the panel: {self.for_panel}"] if self.for_panel else []
        return "; ".join(parts)


class Outcome(StrEnum):
    confirmed = "confirmed"
    declined = "declined"
    rescheduling = "rescheduling"
    released = "released"
    no_slot = "no-slot"
    cancelled = "cancelled"  # she cancelled after confirming
    duplicate = "duplicate"


class Wait(StrEnum):
    """What a suspended candidate run waits for. Its pause key (``reply-2``), the step of its
    timer (``reply-timer``) and the step that records how it ended (``reply``) derive from it.
    A wait that recurs inside an attempt (her call window before each ring of the recruiter)
    carries its ring: ``call-window-1-2``, ``call-window-2-timer``."""

    reply = "reply"  # her answer to an attempt, or the reply window's end
    call_window = "call-window"  # her next call time, or an earlier answer
    text_window = "text-window"  # her waking hours for a text, or an earlier answer
    choice = "choice"  # her pick of the other times offered, or the end of her time to choose
    day = "day"  # confirmed: her next reminder's time, or her asking to move or cancel
    interview = "interview"  # reminded: the interview's planned end (a change still ends it)
    report = "report"  # the panel's report on the day, or the end of the time to give it

    def pause_key(self, attempt: int, ring: int = 1) -> str:
        return f"{self.value}-{attempt}" + (f"-{ring}" if ring > 1 else "")

    def response_key(self, attempt: int, ring: int = 1) -> str:
        """The run input in which Prefect keeps the answer this wait was resumed with."""
        return f"suspended-{self.pause_key(attempt, ring)}-response"

    def timer_step(self, ring: int = 1) -> str:
        return f"{self.value}{self._ring(ring)}-timer"

    def recorded_step(self, ring: int = 1) -> str:
        return "reply" if self is Wait.reply else f"{self.value}{self._ring(ring)}-reply"

    @staticmethod
    def _ring(ring: int) -> str:
        return f"-{ring}" if ring > 1 else ""

    @property
    def opened(self) -> str:
        """What a wait for her hours means when it ends without an answer."""
        opened = {
            Wait.call_window: "her call time has come: calling",
            Wait.text_window: "her morning: texting",
            Wait.choice: "no time picked by the deadline",
            Wait.day: "her reminder's time",
            Wait.interview: "the interview's planned end: asking the panel for their report",
            Wait.report: "no report from the panel by the deadline",
        }
        return opened.get(self, "no reply")

    @classmethod
    def of(cls, pause_key: str | None) -> Wait | None:
        """The wait a pause key belongs to (None: not one of ours, or not paused)."""
        parts = (pause_key or "").split("-")
        numbers = 0
        while parts and parts[-1].isdigit():
            parts, numbers = parts[:-1], numbers + 1
        value = "-".join(parts)
        return cls(value) if value in cls._value2member_map_ and numbers in (1, 2) else None

    @classmethod
    def recorded_by(cls, step: str) -> Wait | None:
        """The wait for her hours whose record ``step`` is (``call-window-2-reply``), if any."""
        parts = step.removesuffix("-reply").split("-")
        value = "-".join(parts[:-1]) if parts[-1].isdigit() else "-".join(parts)
        found = cls._value2member_map_.get(value) if step.endswith("-reply") else None
        return cls(value) if found is not None else None


class CallbackRequest(BaseModel):
    """One candidate of one round: everything her callback run needs, frozen at start."""

    round: RoundDetails = Field(description="The round's plan, staff, rooms, catering and cadence")
    candidate: Candidate = Field(description="The candidate to call back")
    proposed: Slot | None = Field(
        default=None, description="The slot the round's planner chose for her; held first if it is still free"
    )
    waitlist: list[Candidate] = Field(
        default_factory=list, description="Who is offered her slot if she declines or stays silent, best rank first"
    )
    redo_from: RedoFrom | None = Field(
        default=None,
        description="Set by rerun-candidate: from this step on, each contact's record is set aside and checked "
        "against its peer again (one that happened is never repeated)",
    )
    second_chance: Reply | None = Field(
        default=None,
        description="Her answer after her first run released her unanswered: this run skips the calls and offers "
        "her the times still free (her move 1)",
    )

    def key(self, step: str, *, attempt: int = 0) -> EffectKey:
        """The business key of one of her side effects (attempt 0: not part of a contact attempt)."""
        return EffectKey(round_id=self.round.id, candidate_id=self.candidate.id, attempt=attempt, step=step)


class CallbackResult(BaseModel):
    round_id: str
    candidate_id: str
    outcome: Outcome
    attempts: int = 0
    slot: Slot | None = None
    decided_at: datetime | None = None
    reply: Reply | None = None
    timeline: list[Done] = Field(default_factory=list)
    report: DayReport | None = Field(default=None, description="The panel's report after her interview")
    owner_run_id: str | None = Field(default=None, description="For duplicates: the run that owns her")


class StartedRun(BaseModel):  # one candidate run started (or found already started) by hiring-round
    candidate_id: str
    flow_run_id: str
    flow_run_name: str
    state: str
    planned: datetime | None = Field(default=None, description="Start of the slot the planner chose, UTC")


class RecordedReply(Done):
    """How one wait ended, as settled once by ``record-reply``."""

    reply: Reply


class Offer(Done):
    """The other times offered to her when she asked for another time, computed once per offer."""

    slots: list[Slot]


class ReminderPlan(Done):
    """When a confirmed candidate is reminded about the time she holds, decided once per time."""

    reminders: list[PlannedReminder]


class CallPlan(Done):
    """When an attempt's call may go out (None: no call, her call times are over or she did not
    agree to automated voice), decided once."""

    call_at: datetime | None
    live: bool = False  # the recruiter's live call (ring the recruiter first), not the automated one


class TextPlan(Done):
    """When an attempt's text may go out: now, or her next morning (quiet hours), decided once."""

    text_at: datetime
