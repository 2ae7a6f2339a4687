"""No heartbeat after a suspension: a suspended run must never be taken for dead.

Prefect's heartbeat thread stops only at a final state. A beat that falls between her run's
Suspended state and its process's exit (milliseconds on an idle machine, seconds on a loaded
one) reopens the heartbeat automation's window (``flows/ops/healing.py``), and a suspended run
can never close it: the run was crashed while it waited for her reply (``bench/limits.py``, 30
flow runs at once on SQLite: 2 of 90, each with a heartbeat 0.5 s after Suspended). So from the
moment a run asks to suspend, its process sends no heartbeat; if the suspension was not taken
(the run had been resumed already, or it failed), the beats go on.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prefect.exceptions import Pause
from prefect.flow_engine import BaseFlowRunEngine

_SUSPENDING = threading.Event()  # read by Prefect's heartbeat thread


def _quiet_while_suspending() -> None:
    emit = BaseFlowRunEngine._emit_flow_run_heartbeat
    if getattr(emit, "quiet", False):
        return

    def guarded(self: BaseFlowRunEngine[Any, Any], *args: Any, **kwargs: Any) -> None:
        if not _SUSPENDING.is_set():
            emit(self, *args, **kwargs)

    guarded.quiet = True  # type: ignore[attr-defined]
    BaseFlowRunEngine._emit_flow_run_heartbeat = guarded  # type: ignore[method-assign]


@asynccontextmanager
async def suspending() -> AsyncIterator[None]:
    """Around ``suspend_flow_run``: no heartbeat from here until the process exits with the
    suspension (``Pause``); any other ending lets them go on."""
    _quiet_while_suspending()
    _SUSPENDING.set()
    try:
        yield
    except Pause:
        raise  # the process ends suspended: stay quiet to the end
    except BaseException:
        _SUSPENDING.clear()
        raise
    else:
        _SUSPENDING.clear()
