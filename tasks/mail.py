"""Mail boundary: invitations, retries, confirmations, release notices, staff and caterer mail.

One message per business key. Its Message-ID is derived from the key
(``<round.candidate.attempt.step@domain>``), so a message sent again after a crash is
recognisably the same one: mail servers and clients collapse it, and the sandbox outbox counts
it once. Before sending, the task also checks its own journal of accepted Message-IDs, so a
crash after the server accepted and we noted it sends nothing again.

Events: ``secondround.candidate.emailed`` for mail to the candidate, ``.staff-notified``
otherwise, ``.email-refused`` when the server refuses the address for good.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Literal

from prefect import task
from pydantic import BaseModel, Field

from config.errors import AddressRefused
from config.settings import Settings, get_settings
from tasks.clients.shared_state import shared
from tasks.clients.smtp import mailer
from tasks.effects import EFFECT_TASK, Done, EffectKey, done, fault_point


class Invite(BaseModel):
    ics: str = Field(description="The iCalendar object, CRLF lines")
    method: Literal["REQUEST", "CANCEL"]


class Email(BaseModel):
    """One rendered message, ready to send."""

    to: str
    to_name: str
    subject: str
    text: str
    html: str
    from_name: str
    reply_to: str | None = None
    invite: Invite | None = None


class Sent(Done):
    to: str
    refused: str = Field(default="", description="Why the server refused the address; empty when delivered")


def message_id(key: EffectKey, settings: Settings) -> str:
    return f"<{key}@{settings.mail_domain}>"


def compose(key: EffectKey, email: Email, settings: Settings) -> EmailMessage:
    """The MIME message: text, HTML and the invite as alternatives, the invite again as a file."""
    message = EmailMessage()
    message["From"] = Address(display_name=email.from_name, addr_spec=settings.smtp_from)
    message["To"] = Address(display_name=email.to_name, addr_spec=email.to)
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Subject"] = email.subject
    message["Message-ID"] = message_id(key, settings)
    message["Date"] = format_datetime(datetime.now(timezone.utc), usegmt=True)
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    if email.invite is not None:
        # inline alternative: Outlook and Gmail show accept/decline; the attachment: everyone else
        params = {"method": email.invite.method}
        message.add_alternative(email.invite.ics, subtype="calendar", params=params)
        name = "cancel.ics" if email.invite.method == "CANCEL" else "invite.ics"
        message.add_attachment(
            email.invite.ics.encode(), maintype="text", subtype="calendar", filename=name, params=params
        )
    return message


class Journal:
    """Message-IDs the server accepted, noted before the task returns: one empty file each on one
    machine, a row of the shared database (``SECONDROUND_STATE_URL``) on several."""

    def __init__(self, settings: Settings) -> None:
        self.folder = settings.state_dir / "mail" / "accepted"
        self.url = settings.state_url

    def _path(self, mid: str) -> Path:
        return self.folder / mid.strip("<>")

    async def has(self, mid: str) -> bool:
        if self.url:
            rows = await shared(self.url).fetch("select 1 from mail_accepted where message_id = ?", mid)
            return bool(rows)
        return self._path(mid).exists()

    async def note(self, mid: str) -> None:
        if self.url:
            now = datetime.now(timezone.utc).isoformat()
            insert = "insert into mail_accepted (message_id, at) values (?, ?) on conflict do nothing"
            await shared(self.url).execute(insert, mid, now)
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path(mid), os.O_CREAT | os.O_WRONLY, 0o644)
        os.fsync(fd)
        os.close(fd)


@task(name="send-email", **EFFECT_TASK)
async def send_email(key: EffectKey, email: Email, *, to_candidate: bool = True) -> Sent:
    settings = get_settings()
    journal, mid = Journal(settings), message_id(key, settings)
    event = "emailed" if to_candidate else "staff-notified"
    if await journal.has(mid):
        line = done(key, f"emailed {email.to}: {email.subject} (sent before a crash; not sent again)")
        return Sent(**line.model_dump(), to=email.to)
    fault_point(key, "before")
    try:
        await mailer(settings).send(compose(key, email, settings))
    except AddressRefused as refused:
        # events cannot be erased: they name the kind of recipient, never the address
        line = done(key, f"email to {email.to} refused: {refused}", event="email-refused", to_candidate=to_candidate)
        return Sent(**line.model_dump(), to=email.to, refused=str(refused))
    fault_point(key, "after")  # accepted but not yet noted: a retry sends the same Message-ID again
    await journal.note(mid)
    fault_point(key, "noted")
    line = done(key, f"emailed {email.to}: {email.subject}", event=event, to_candidate=to_candidate, kind=key.step)
    return Sent(**line.model_dump(), to=email.to)
