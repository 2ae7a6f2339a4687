"""``make demo``: a whole simulated hiring round on the embedded default, in compressed time.

Starts a local Prefect server (SQLite) with the deployments and a worker, runs the
``hiring-round/example`` deployment on ``config/rounds/example.yaml``, plays the candidates
scripted in ``config/rounds/example.sandbox.yaml``, then prints what happened and where to look.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import re
import shutil
import signal
import sqlite3
import sys
import time
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from config.loading import load_round
from config.round import Candidate, HiringRound
from flows.messages import clock
from sandbox.holdings import holdings, seed_calendars
from sandbox.peers import PROJECT_DIR
from sandbox.stack import LocalStack

if TYPE_CHECKING:  # imported where used: the demo prints its first line before Prefect loads
    from flows.ops.status import CandidateStatus
    from sandbox.candidates import ScriptedRepliers

ROUND_FILE = PROJECT_DIR / "config" / "rounds" / "example.yaml"
BEHAVIOURS = PROJECT_DIR / "config" / "rounds" / "example.sandbox.yaml"
COLUMNS = ["candidate", "outcome", "attempts", "time to decision", "enthusiasm / prof.", "slot, room", "the day"]


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$")


def rebased(data: Any, weeks: int) -> Any:
    """The round with every date moved by whole weeks (weekdays and wall times kept)."""
    if isinstance(data, dict):
        return {k: rebased(v, weeks) for k, v in data.items()}
    if isinstance(data, list):
        return [rebased(v, weeks) for v in data]
    if isinstance(data, datetime | date):
        return data + timedelta(weeks=weeks)
    if isinstance(data, str) and _ISO.match(data):
        moved = datetime.fromisoformat(data) + timedelta(weeks=weeks)
        return moved.isoformat(timespec="minutes") if "T" in data else moved.date().isoformat()
    return data


def demo_round(home: Path, today: date) -> Path:
    """The example round, moved forward by whole weeks once its call times have passed, so the
    demo keeps working on any date."""
    data = yaml.safe_load(ROUND_FILE.read_text(encoding="utf-8"))
    first = min(date.fromisoformat(str(w["start"])[:10]) for c in data["candidates"] for w in c["call_times"])
    weeks = max(0, (today - first).days // 7)
    for room in data["rooms"]:  # the demo's calendars: the staff on the Google stand-in, the Fleet room on
        room["calendar"] = f"microsoft:{room['id']}@northwind.example" if room["id"] == "fleet" else ""  # Graph's
    for member in data["staff"]:  # and the Thames room and the recruiter on Radicale
        member["calendar"] = f"google:{member['email']}"
    path = home / "example.yaml"
    path.write_text(yaml.safe_dump(rebased(data, weeks), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def play_round(stack: LocalStack, round_file: Path, *, timeout: float) -> list[list[str]]:
    from prefect.deployments import arun_deployment

    from sandbox.candidates import ScriptedRepliers
    from sandbox.ledger import Ledger

    round_ = load_round(round_file)
    ledger = Ledger(Path(stack.env["SECONDROUND_STATE_DIR"]) / "sandbox")
    repliers = ScriptedRepliers(
        round_, ledger, scripts_path=BEHAVIOURS, web_url=stack.web_url, twilio_url=stack.twilio_url
    )
    expected = sum(1 for c in round_.candidates if c.waitlist_rank is None)
    parameters = {"request": {"round_file": str(round_file)}}
    run = await arun_deployment("hiring-round/example", parameters=parameters, timeout=0, as_subflow=False)
    say(f"Started hiring-round run {run.name}; {expected} candidates to call back.")
    statuses = await _until_decided(round_, repliers, expected=expected, timeout=timeout)
    for delivery in repliers.deliveries:
        if delivery.done() and delivery.exception() is not None:
            say(f"  a scripted reply was not delivered: {delivery.exception()}")
    return [_row(status, round_.candidate(status.candidate_id), venue=round_.venue_zone) for status in statuses]


async def _until_decided(
    round_: HiringRound, repliers: ScriptedRepliers, *, expected: int, timeout: float
) -> list[CandidateStatus]:
    """Play the candidates' replies and show progress until every run has decided."""
    from flows.ops.status import round_status

    started, seen = time.monotonic(), ""
    while time.monotonic() - started < timeout:
        for candidate_id in await repliers.tick():
            say(f"  {candidate_id} replied (sandbox)")
        statuses = await round_status(round_.id)
        progress = ", ".join(f"{s.candidate_id.split('-')[0]}:{s.state}" for s in statuses)
        if progress != seen:
            say(f"  [{time.monotonic() - started:5.0f} s] {progress}")
            seen = progress
        if len(statuses) >= expected and all(s.final for s in statuses):  # waitlisted runs join later
            return statuses
        await asyncio.sleep(1)
    raise TimeoutError(f"the round did not finish in {timeout:.0f} s")


def _row(status: CandidateStatus, candidate: Candidate, *, venue: str) -> list[str]:
    """Her line of the demo's table: outcome, attempts, time to decision, slot on the venue's
    clock with hers beside it."""
    result = status.result
    if result is None:
        return [candidate.name, status.state, "-", "-", "-", "-", "-"]
    first = min((line.at for line in result.timeline), default=None)
    took = f"{(result.decided_at - first).total_seconds():.0f} s" if result.decided_at and first else "-"
    slot = "-"
    if result.slot:
        slot = f"{clock.short(result.slot.start, venue, candidate.time_zone)}, {result.slot.room_id}"
    reply = result.reply
    heard = f"{reply.enthusiasm or '-'} / {reply.professionalism or '-'}" if reply and reply.impressions() else "-"
    day = result.report.summary() if result.report else "-"
    return [candidate.name, result.outcome.value, str(result.attempts), took, heard, slot, day]


def outbox(folder: Path) -> list[list[str]]:
    rows = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        attached = ", ".join(str(p.get_filename()) for p in message.iter_attachments())
        rows.append([path.name, str(message["To"].addresses[0].addr_spec), str(message["Subject"]).strip(), attached])
    return rows


def replies(inbox: Path) -> str:
    """What reached web/ and how its delivery ended, from the service's inbox."""
    with sqlite3.connect(inbox) as db:
        found = db.execute("select key, state from replies order by rowid").fetchall()
    kinds = ", ".join(f"{key.split(':')[0]} ({state})" for key, state in found)
    return f"Replies through web/ ({inbox}): {kinds or 'none'}"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def report(stack: LocalStack, round_file: Path) -> None:
    """What the sandbox "sent": counts per channel, replies through web/, which calendar backend
    held what, every email."""
    from sandbox.ledger import Ledger

    sent = Ledger(Path(stack.env["SECONDROUND_STATE_DIR"]) / "sandbox").effects()
    channels = {c: sum(1 for e in sent if e.channel == c) for c in ("call", "voicemail", "sms", "email", "dial")}
    say("\nSandbox outbox: " + ", ".join(f"{n} {c}" for c, n in channels.items()))
    say(replies(Path(stack.env["SECONDROUND_STATE_DIR"]) / "web" / "inbox.sqlite"))
    held = asyncio.run(holdings(load_round(round_file), stack.read_settings()))
    say("\nCalendars, by backend:\n" + table(["calendar", "backend", "address", "interviews"], held))
    say(f"\nEmails, through aiosmtplib (STARTTLS, AUTH) to the SMTP sink, one .eml each in {stack.outbox}:")
    say(table(["file", "to", "subject", "attached"], outbox(stack.outbox)))


def where_to_look(stack: LocalStack, home: Path) -> None:
    say(f"Where to look in the UI ({stack.ui_url}):")
    say("  Runs: one candidate-callback run per candidate, tagged round:... and candidate:...")
    say("  Artifacts: round-<round> (one row per candidate, updated at every step),")
    say("    round-<round>-responses (time to reply, share confirmed first time / after voicemail / after retry,")
    say("    the day: who came, who followed the dress and bring instructions, by channel and attempts),")
    say("    timeline-<round>-<candidate> (every step of one candidate)")
    say("  Deployments: stuck-candidates (paused here; Run it to see who is stuck), hiring-round/example")
    say("  Events: secondround.candidate.* (called, emailed, replied, confirmed, reported, no-show,")
    say("    released), secondround.reply.*")
    say(f"  Her page: any /r/... link in the emails above ({stack.web_url}; --keep to open one)")
    say(f"  Twilio requests and signed webhooks: {stack.twilio_url}/sandbox/requests; logs in {home}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the server and UI up until Ctrl-C")
    parser.add_argument("--port", type=int, default=4200)
    parser.add_argument("--reply-window", type=float, default=12.0, help="seconds that stand for 24 h")
    parser.add_argument("--timeout", type=float, default=1500.0)
    parser.add_argument("--home", type=Path, default=PROJECT_DIR / ".secondround" / "demo", help="its working folder")
    args = parser.parse_args(argv)
    home = args.home
    shutil.rmtree(home, ignore_errors=True)
    stop_on_signals()
    try:
        return _demo(args, home)
    except KeyboardInterrupt:
        say("Stopped: everything the demo started is stopped.")
        return 130


def stop_on_signals() -> None:
    """SIGTERM (``kill``, a service manager, make passing it on) and SIGHUP (a closed terminal)
    stop the demo as Ctrl-C does: the stack's ``with`` stops every process it started."""

    def interrupt(signum: int, _: Any) -> None:
        for again in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(again, signal.SIG_IGN)  # a second one must not cut the clean-up short
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


def _demo(args: argparse.Namespace, home: Path) -> int:
    say(f"Starting a local Prefect server on SQLite ({args.port}), the deployments and a worker...")
    with (
        LocalStack(home, port=args.port, time_scale=86400 / args.reply_window, behaviours=BEHAVIOURS, ui=True) as stack,
        stack.client_settings(),
    ):
        say(f"Prefect UI: {stack.ui_url}  (24 h of waiting = {args.reply_window:.0f} s)")
        say(f"Sandbox Twilio: {stack.twilio_url}  inbound webhooks (web/): {stack.web_url}")
        round_file = demo_round(home, date.today())
        say(asyncio.run(seed_calendars(load_round(round_file), stack.read_settings())))  # the team meeting
        rows = asyncio.run(play_round(stack, round_file, timeout=args.timeout))
        say("\n" + table(COLUMNS, rows))
        report(stack, round_file)
        where_to_look(stack, home)
        if args.keep:
            say("Keeping the server up; Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
