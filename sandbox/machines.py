"""A stack's machines as processes. Each worker, and every flow process it starts, carries a mark
(``SECONDROUND_MACHINE``) naming its stack and machine: a kill test loses one machine of one
stack and never another stack's running beside it (the suite's shared stack beside the chaos
stacks), and a stack that stops finds the flow processes that stopping its workers missed
(each flow process has a process group of its own)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

MARK = "SECONDROUND_MACHINE"


def mark(home: Path, n: int) -> str:
    """Machine ``n`` (from 0) of the stack in ``home``."""
    return f"{home}#{n + 1}"


def processes(value: str) -> list[int]:
    """The processes carrying the mark ``value``."""
    wanted = f"{MARK}={value}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if wanted in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def kill(pids: list[int]) -> int:
    """SIGKILL each; how many were still there to kill."""
    killed = 0
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            continue
    return killed
