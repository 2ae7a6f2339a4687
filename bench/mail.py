"""Sending a round's email: a fresh connection per message against reused connections.

Each message is a real confirmation (text, HTML and the calendar invite twice, about 12 kB)
sent through ``tasks.clients.smtp.Mailer`` to the sandbox SMTP sink over loopback with STARTTLS,
certificate checks and AUTH, which files each one to disk. "fresh" opens, encrypts and logs in
for every message (what ``aiosmtplib.send`` does); "reused" keeps ``--connections`` open.

    make bench-mail
    python -m bench.mail --messages 300 --connections 1 2 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from config.round import HiringRound
from config.settings import Settings
from flows.messages.context import context
from flows.messages.invites import interview_invite
from flows.messages.render import render_email
from flows.models import Slot
from sandbox.peers import PROJECT_DIR, SANDBOX_SMTP_PASSWORD, SANDBOX_SMTP_USER, free_port
from sandbox.rounds import example_data
from sandbox.serving import python_server, smtp_greets
from sandbox.tls import write_test_ca
from tasks.clients.smtp import Mailer
from tasks.effects import EffectKey
from tasks.mail import Email, Invite, compose

HEADER = "| mode | connections | messages | seconds | messages/s | opened |\n" + "|---" * 6 + "|\n"


def confirmation() -> Email:
    round_ = HiringRound.model_validate(example_data())
    alice = round_.candidates[0]
    start = datetime(2026, 12, 8, 9, tzinfo=timezone.utc)
    slot = Slot(start=start, end=start + round_.plan.duration, room_id="thames")
    ics = interview_invite(round_, alice, slot, method="REQUEST", stamp=start, domain="northwind.example")
    return render_email(
        "confirmation",
        context(round_, alice, slot),
        to=alice.email,
        to_name=alice.name,
        invite=Invite(ics=ics, method="REQUEST"),
    )


async def send_all(settings: Settings, email: Email, *, messages: int, tag: str, fresh: bool) -> tuple[float, int]:
    keys = [
        EffectKey(round_id="bench", candidate_id=f"{tag}{n}", attempt=1, step="confirmation") for n in range(messages)
    ]
    built = [compose(key, email, settings) for key in keys]
    mailer, opened = Mailer(settings), 0
    began = time.perf_counter()
    if fresh:
        for message in built:
            mailer = Mailer(settings)  # nothing reused: connect, STARTTLS, AUTH, send, close
            await mailer.send(message)
            opened += mailer.opened
            mailer.close()
    else:
        await asyncio.gather(*(mailer.send(m) for m in built))
        opened = mailer.opened
        mailer.close()
    return time.perf_counter() - began, opened


def main() -> None:
    parser = argparse.ArgumentParser(description="Email throughput against the sandbox SMTP sink")
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        tls, port = Path(home) / "tls", free_port()
        ca = write_test_ca(tls)
        env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), "SECONDROUND_STATE_DIR": f"{home}/state"}
        env |= {"SECONDROUND_SMTP_USERNAME": SANDBOX_SMTP_USER, "SECONDROUND_SMTP_PASSWORD": SANDBOX_SMTP_PASSWORD}
        sink = ["-m", "sandbox.smtp", "--port", str(port), "--tls", str(tls)]
        with python_server(sink, env=env, probe=smtp_greets(port), what="SMTP sink"):
            base = Settings(
                smtp_port=port, smtp_username=SANDBOX_SMTP_USER, smtp_password=SANDBOX_SMTP_PASSWORD, smtp_ca_file=ca
            )
            measure_all(base, messages=args.messages, connections=args.connections)


def measure_all(base: Settings, *, messages: int, connections: list[int]) -> None:
    """One row per mode: a fresh connection per message, then reused pools of each size."""
    email = confirmation()
    sys.stdout.write(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    sys.stdout.write(HEADER)
    for mode, size in [("fresh", 1)] + [("reused", c) for c in connections]:
        settings = base.model_copy(update={"smtp_connections": size})
        tag, n = f"{mode}{size}-", messages
        seconds, opened = asyncio.run(send_all(settings, email, messages=n, tag=tag, fresh=mode == "fresh"))
        sys.stdout.write(f"| {mode} | {size} | {n} | {seconds:.2f} | {n / seconds:.1f} | {opened} |\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
