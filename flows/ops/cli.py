"""The ``secondround`` command: what an operator types.

secondround round validate FILE      check a round file; lists every problem, sends nothing
secondround round dry-run FILE       plan every slot, render every message into a folder; sends nothing
secondround round deploy FILE        create or update the round's scheduled hiring-round deployment
secondround calendars check FILE     read a day of busy time from every calendar of the round; says which work
secondround candidate erase ROUND CANDIDATE   remove her personal data from every store; prints what was done
secondround validate FILE            the same as ``round validate``
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from config.checks import round_warnings
from config.errors import RoundFileError
from config.loading import load_round
from config.round import HiringRound

if TYPE_CHECKING:
    from flows.ops.preview import CandidatePreview
    from flows.planning.slots import Intervals


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def validate(path: str) -> int:
    round_ = load_round(path)
    shortlisted = sum(1 for c in round_.candidates if c.waitlist_rank is None)
    waitlisted = len(round_.candidates) - shortlisted
    _out(f"{path}: round {round_.id} is valid: {shortlisted} candidates to call, {waitlisted} waitlisted")
    _warn(round_)
    return 0


def _warn(round_: HiringRound) -> list[str]:
    """Print what the coordinator should read before the round runs (exit code stays 0)."""
    warnings = round_warnings(round_, now=datetime.now(timezone.utc))
    if warnings:
        _out(f"{len(warnings)} warning(s): the round runs, but read these first")
        _out("\n".join(f"  - {line}" for line in warnings))
    return warnings


def _busy(round_: HiringRound, *, read_calendars: bool) -> dict[str, Intervals]:
    if not read_calendars:
        return {}
    from flows.planning.slots import round_calendars, search_window
    from tasks.calendars import calendar_refs, find_busy  # read only: a REPORT per calendar

    urls = calendar_refs(round_.details)
    keys = round_calendars(round_.details)
    return dict(asyncio.run(find_busy.fn({k: urls[k] for k in keys}, *search_window(round_.details))))


def _write(folder: Path, preview: CandidatePreview) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for n, line in enumerate(preview.messages, start=1):
        stem = f"{n:02d}-{line.step}"
        head = f"To: {line.to}\n" + (f"Subject: {line.subject}\n" if line.subject else "")
        (folder / f"{stem}.txt").write_text(f"{head}\n{line.body}\n", encoding="utf-8")
        if line.html:
            (folder / f"{stem}.html").write_text(line.html, encoding="utf-8")
        if line.invite:
            (folder / f"{stem}.ics").write_text(line.invite, encoding="utf-8", newline="")
    return len(preview.messages)


def dry_run(path: str, *, out: Path | None, read_calendars: bool) -> int:
    from flows.messages import clock
    from flows.ops.preview import preview_round  # imports Prefect: only for the commands that need it

    round_ = load_round(path)
    previews = preview_round(round_, _busy(round_, read_calendars=read_calendars))
    folder = out or Path(f"dry-run-{round_.id}")
    against = "the calendars' busy times (read only)" if read_calendars else "empty calendars (--calendars reads them)"
    _out(f"Dry run of round {round_.id}: nothing sent, nothing booked; slots planned against {against}.")
    outside = {line.split(".", 1)[0] for line in _warn(round_) if "never hold a whole interview" in line}
    for preview in previews:
        count = _write(folder / preview.candidate_id, preview)
        if preview.slot is None:
            index = next(i for i, c in enumerate(round_.candidates) if c.id == preview.candidate_id)
            why = "her free times never meet the office hours" if f"candidates[{index}]" in outside else "all taken"
            slot = f"NO SLOT fits her free times ({why}): the recruiter would be told"
        else:
            when = clock.short(preview.slot.start, round_.venue_zone, preview.time_zone)
            slot = f"{when}, room {preview.slot.room_id}"
        _out(f"  {preview.name:<24} {slot}; {count} messages")
    planned = sum(1 for p in previews if p.slot is not None)
    _out(f"{planned} of {len(previews)} planned; every message is in {folder}/<candidate>/")
    return 0


def deploy(path: str) -> int:
    from flows.ops.deploy import deploy_round  # imports Prefect's client: only when deploying

    round_ = load_round(path)
    deployment_id = asyncio.run(deploy_round(Path(path)))
    when = f"'{round_.schedule.cron}' in {round_.time_zone}" if round_.schedule else "no schedule (run it by hand)"
    paused = " (paused)" if round_.schedule and not round_.schedule.active else ""
    _out(f"Deployed hiring-round/{round_.id} ({deployment_id}): {when}{paused}")
    return 0


def check_calendars(path: str) -> int:
    from config.settings import get_settings
    from flows.ops.calendar_check import check_calendars as check  # imports the calendar clients

    round_ = load_round(path)
    found = asyncio.run(check(round_, get_settings(), now=datetime.now(timezone.utc)))
    for reach in found:
        _out(f"  {'ok  ' if reach.works else 'FAIL'}  {reach.calendar:<28} {reach.ref}: {reach.detail}")
    failing = sum(1 for r in found if not r.works)
    _out(f"{len(found) - failing} of {len(found)} calendars work" + (f"; {failing} do not" if failing else ""))
    return 1 if failing else 0


def install_healing() -> int:
    from flows.ops.healing import install_healing as install  # loads Prefect's automations

    _out(asyncio.run(install()))
    return 0


def install_results(url: str, *, endpoint_url: str | None) -> int:
    from flows.ops.results import BucketError
    from flows.ops.results import install_results as install  # loads Prefect's blocks and s3fs

    try:
        _out(asyncio.run(install(url, endpoint_url=endpoint_url)))
    except BucketError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


def erase_candidate(round_id: str, candidate_id: str) -> int:
    """Erase her everywhere and print each store's line; 1 when her run is still deciding."""
    from flows.ops.erasure import StillDeciding, erase

    try:
        report = asyncio.run(erase(round_id, candidate_id))
    except StillDeciding as error:
        sys.stderr.write(f"not erased: {error}\n")
        return 1
    _out(f"{candidate_id} in {round_id}: erased")
    _out("\n".join(f"  {line.store}: {line.done}" for line in report))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secondround", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate", help="check a hiring-round file").add_argument("file")
    round_commands = commands.add_parser("round", help="work with a hiring-round file").add_subparsers(
        dest="action", required=True
    )
    round_commands.add_parser("validate", help="check a hiring-round file").add_argument("file")
    preview = round_commands.add_parser("dry-run", help="plan and render everything; send and book nothing")
    preview.add_argument("file")
    preview.add_argument("--out", type=Path, help="folder for the rendered messages (default dry-run-<round>)")
    preview.add_argument("--calendars", action="store_true", help="plan against the calendars' busy times")
    round_commands.add_parser("deploy", help="create or update the round's deployment").add_argument("file")
    calendar_commands = commands.add_parser("calendars", help="the round's calendars").add_subparsers(
        dest="action", required=True
    )
    calendar_commands.add_parser("check", help="read a day of busy time from each; say which work").add_argument("file")
    candidate = commands.add_parser("candidate", help="one candidate's data").add_subparsers(
        dest="action", required=True
    )
    erase = candidate.add_parser("erase", help="remove her personal data from every store (safe to run twice)")
    erase.add_argument("round")
    erase.add_argument("candidate")
    heal = commands.add_parser("heal", help="runs that heal themselves").add_subparsers(dest="action", required=True)
    heal.add_parser("install", help="install the automation that crashes runs whose heartbeat stopped")
    results = commands.add_parser("results", help="where every machine keeps Prefect's results").add_subparsers(
        dest="action", required=True
    )
    bucket = results.add_parser("install", help="keep every run's results in one S3-compatible bucket")
    bucket.add_argument("url", help="s3://BUCKET/PREFIX")
    bucket.add_argument("--endpoint-url", help="an S3-compatible service other than AWS (MinIO, Ceph, ...)")
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "validate" or args.action == "validate":
        return validate(args.file)
    if args.command == "results":
        return install_results(args.url, endpoint_url=args.endpoint_url)
    commands: dict[str, Callable[[], int]] = {
        "dry-run": lambda: dry_run(args.file, out=args.out, read_calendars=args.calendars),
        "check": lambda: check_calendars(args.file),
        "install": install_healing,
        "deploy": lambda: deploy(args.file),
        "erase": lambda: erase_candidate(args.round, args.candidate),
    }
    return commands[args.action]()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except RoundFileError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
