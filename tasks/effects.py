"""What every side-effect task shares: its business key, its cache, its retries, its events.

A side effect (a call, a voicemail, an email, a hold) runs once per key
``(round, candidate, attempt, step)``. The key is the Prefect cache key, so a resumed run, a
retry from the UI and a fresh run with the same parameters all find the persisted result and
skip the effect. The adapters also hand the key to the peer (Message-ID, calendar UID), which
covers a crash between "the peer accepted it" and "Prefect persisted the result".

Events: ``secondround.candidate.<what>`` on resource ``secondround.candidate.<round>.<id>``.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, TypeVar

from prefect import Task
from prefect.cache_policies import CacheKeyFnPolicy
from prefect.client.schemas.objects import State, TaskRun
from prefect.context import TaskRunContext
from prefect.events import emit_event
from prefect.results import get_result_store
from pydantic import BaseModel, ConfigDict

from config.errors import TerminalChannelError, TransientChannelError
from config.settings import get_settings


class EffectKey(BaseModel):
    """The business identity of one side effect."""

    model_config = ConfigDict(frozen=True)

    round_id: str
    candidate_id: str
    attempt: int
    step: str

    def __str__(self) -> str:
        return f"{self.round_id}.{self.candidate_id}.{self.attempt}.{self.step}"

    @classmethod
    def parse(cls, text: str) -> EffectKey | None:
        """The key a peer sent back (a callback URL's ``key``); None when it is not one of ours."""
        parts = text.split(".")
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        return cls(round_id=parts[0], candidate_id=parts[1], attempt=int(parts[2]), step=parts[3])

    def but(self, step: str) -> EffectKey:
        """The same candidate and attempt, another step (her leg of the recruiter's ring)."""
        return self.model_copy(update={"step": step})

    @property
    def resource_id(self) -> str:
        return candidate_resource(self.round_id, self.candidate_id)


class Done(BaseModel):
    """The persisted result of one side effect, also a line of the candidate's timeline."""

    step: str
    attempt: int
    at: datetime
    detail: str


def candidate_resource(round_id: str, candidate_id: str) -> str:
    return f"secondround.candidate.{round_id}.{candidate_id}"


def _business_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return str(parameters["key"])


BY_BUSINESS_KEY = CacheKeyFnPolicy(cache_key_fn=_business_key)


def only_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry condition: only errors that a later try may fix."""
    try:
        state.result()
    except TransientChannelError:
        return True
    except Exception:
        return False
    return False


EFFECT_TASK: dict[str, Any] = {
    "cache_policy": BY_BUSINESS_KEY,
    "retries": 3,
    "retry_delay_seconds": [1, 5, 20],
    "retry_condition_fn": only_transient,
}


R = TypeVar("R")


async def recall(key: EffectKey, kind: type[R]) -> R | None:
    """The persisted result of the effect ``key`` (of type ``kind``), or None if it never completed.
    For a replay that must know whether a step happened without running it. Only for tasks the
    calling flow ran itself: a subflow's task results were not found this way (the catering
    notice), so a subflow's own return value carries what its caller needs to know."""
    store = get_result_store()
    if not await store.aexists(str(key)):
        return None
    result = (await store.aread(str(key))).result
    if not isinstance(result, kind):
        raise TypeError(f"{key}: stored {type(result).__name__}, expected {kind.__name__}")
    return result


def done(key: EffectKey, detail: str, *, event: str | None = None, **payload: Any) -> Done:
    """Close an effect: emit its event and return its timeline line."""
    if event:
        emit_event(
            event=f"secondround.candidate.{event}",
            resource={"prefect.resource.id": key.resource_id, "prefect.resource.name": key.candidate_id},
            payload={"round": key.round_id, "attempt": key.attempt, "step": key.step, **payload},
        )
    return Done(step=key.step, attempt=key.attempt, at=datetime.now(timezone.utc), detail=detail)


def fault_point(key: EffectKey, when: str) -> None:
    """Sandbox fault tests: kill this process once at ``<step>:<when>`` (``before``, ``after``,
    ``noted``), or refuse every effect whose step starts with ``fault_refuse``."""
    settings = get_settings()
    if settings.mode != "sandbox":
        return
    if settings.fault_refuse and key.step.startswith(settings.fault_refuse) and when == "before":
        raise TerminalChannelError("sandbox", f"{key.step} refused (SECONDROUND_FAULT_REFUSE)")
    if settings.fault_crash_at != f"{key.step}:{when}":
        return
    marker = settings.state_dir / "faults" / f"{key}-{when}"  # once per effect, whichever run hits it
    if marker.exists():
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    os._exit(17)  # a hard crash: no finally blocks, no state reported, exactly like a killed worker
