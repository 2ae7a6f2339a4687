"""Erasure, store by store, outside Prefect: results, the inbox, the mail journal, her claim,
calendars and the sandbox. Each function removes (or redacts) what is hers and says what it did;
run twice, the second finds nothing. ``flows/ops/erasure.py`` calls them in turn.

Her records are found by her keys (``<round>.<candidate>.<attempt>.<step>``, the effect key
every side effect and its persisted result carry) and, for what has no key, by what she gave us
(name, email, phone). SQLite files delete securely and are checkpointed, so nothing of hers
stays in free pages or the write-ahead log.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from prefect.filesystems import RemoteFileSystem

from config.round import Candidate, RoundDetails
from config.settings import Settings
from flows.logistics import TRIES, hold_step
from flows.ops.results import BLOCK
from flows.planning.slots import round_calendars
from tasks.calendars import calendar_refs, hold_uid, redact_bookings
from tasks.clients.shared_state import open_sql, shared
from tasks.effects import EffectKey

INBOX_SCHEMA = "create table if not exists replies (key text primary key)"  # web/inbox.py owns the schema


def _mentions(path: Path, needles: Iterable[bytes]) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return any(needle in data for needle in needles if needle)


def needles(candidate: Candidate | None) -> list[bytes]:
    """What she gave us, as the bytes a file would hold."""
    if candidate is None:
        return []
    return [value.encode() for value in (candidate.name, candidate.email, candidate.phone) if value]


def erase_results(folder: Path, prefix: str, candidate: Candidate | None) -> str:
    """Persisted results named by her keys, and any other result that mentions her."""
    if not folder.is_dir():
        return f"{folder}: no local results"
    gone = 0
    for path in folder.rglob("*"):
        if path.is_file() and (path.name.startswith(prefix) or _mentions(path, needles(candidate))):
            path.unlink()
            gone += 1
    return f"{gone} result file(s) deleted from {folder}"


async def erase_bucket(prefix: str, candidate: Candidate | None) -> str:
    """The shared results bucket (``secondround results install``), when there is one: as on disk,
    every object named by her keys or mentioning her."""
    try:
        block = await RemoteFileSystem.aload(BLOCK)
    except ValueError:  # no such block: results stay on each machine's disk
        return "no shared results bucket"
    return await asyncio.to_thread(_erase_objects, block, prefix, needles(candidate))


def _erase_objects(block: RemoteFileSystem, prefix: str, wanted: list[bytes]) -> str:
    fs, base = block.filesystem, block.basepath
    gone = 0
    for path in fs.find(base):
        if path.rsplit("/", 1)[-1].startswith(prefix) or any(n in fs.cat_file(path) for n in wanted):
            fs.rm_file(path)
            gone += 1
    return f"{gone} result object(s) deleted from {base}"


def _checkpoint(path: Path) -> None:
    """Rewrite the file without free pages and empty its write-ahead log."""
    if path.exists():
        with sqlite3.connect(path, timeout=30, isolation_level=None) as db:
            db.execute("vacuum")
            db.execute("pragma wal_checkpoint(truncate)")


async def erase_inbox(settings: Settings, round_id: str, candidate_id: str, phone: str) -> str:
    path = settings.state_dir / "web" / "inbox.sqlite"
    if not settings.state_url and not path.exists():
        return "no inbox here"
    sql = open_sql(url=settings.state_url, path=path, schema=INBOX_SCHEMA)
    replies = await sql.execute("delete from replies where round_id = ? and candidate_id = ?", round_id, candidate_id)
    notes = await sql.execute("delete from notes where round_id = ? and candidate_id = ?", round_id, candidate_id)
    opted = await sql.execute("delete from opt_outs where phone = ?", phone) if phone else 0
    if not settings.state_url:
        _checkpoint(path)
    return f"{replies} reply(ies), {notes} note(s), {opted} opt-out(s) deleted"


async def erase_journal_and_claim(settings: Settings, round_id: str, candidate_id: str) -> str:
    """Her accepted Message-IDs (they carry her keys) and her claim."""
    prefix = f"{round_id}.{candidate_id}."
    if settings.state_url:
        db = shared(settings.state_url)
        mails = await db.execute("delete from mail_accepted where message_id like ?", f"<{prefix}%")
        claims = await db.execute("delete from claims where round_id = ? and candidate_id = ?", round_id, candidate_id)
        return f"{mails} journal row(s), {claims} claim(s) deleted"
    journal = settings.state_dir / "mail" / "accepted"
    noted = list(journal.glob(f"{prefix}*")) if journal.is_dir() else []
    claim = settings.state_dir / "claims" / f"{round_id}.{candidate_id}.json"
    claimed = claim.exists()
    for path in [*noted, claim]:
        path.unlink(missing_ok=True)
    return f"{len(noted)} journal entry(ies) and {int(claimed)} claim deleted"


def erase_sandbox(settings: Settings, round_id: str, candidate_id: str) -> str:
    """The sandbox's record of what she was sent: ledger rows and outbox messages."""
    ledger = settings.sandbox_dir / "ledger.db"
    rows = 0
    if ledger.exists():
        with sqlite3.connect(ledger, timeout=30, isolation_level=None) as db:
            db.execute("pragma secure_delete=on")
            query = "delete from effects where round_id = ? and candidate_id = ?"
            rows = db.execute(query, (round_id, candidate_id)).rowcount
        _checkpoint(ledger)
    outbox = settings.sandbox_dir / "outbox"
    messages = list(outbox.glob(f"{round_id}.{candidate_id}.*")) if outbox.is_dir() else []
    for path in messages:
        path.unlink()
    return f"{rows} ledger row(s), {len(messages)} outbox message(s) deleted"


async def redact_calendars(round_: RoundDetails, candidate_id: str) -> str:
    """Her bookings on the staff and room calendars: her name and contact replaced."""
    refs = calendar_refs(round_)

    def uid(step: str) -> str:
        return hold_uid(EffectKey(round_id=round_.id, candidate_id=candidate_id, attempt=0, step=step))

    tries, moves = range(1, TRIES + 1), range(round_.changes.max_moves + 1)
    bookings = [(refs[k], uid(hold_step(k, t, m))) for k in round_calendars(round_) for t in tries for m in moves]
    found = await redact_bookings(bookings, title=round_.plan.title)
    return f"{found} booking(s) redacted to 'candidate (erased)'"
