"""The sandbox mail server: an SMTP sink that insists on STARTTLS and AUTH, like a real
submission port, and files every message in an outbox folder (one ``.eml`` per Message-ID).

Like a mailbox it recognises a Message-ID it has seen: the copy is counted (``tries`` in the
ledger) but not filed again. Recipient addresses script faults by their local part:
``+bounce`` is refused for good (550), ``+greylist`` is deferred once (451), ``+drop`` has its
first message filed and the connection cut before the reply (a lost "250 OK").

``python -m sandbox.smtp --port P --tls DIR`` (credentials from ``SECONDROUND_SMTP_*``).
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import logging
import ssl
from collections import Counter
from datetime import timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from icalendar import Calendar

from config.settings import Settings
from sandbox.ledger import Ledger
from sandbox.tls import write_test_ca


def effect_key(message_id: str) -> tuple[str, str, str, int]:
    """(key, round, candidate, attempt) from our ``<round.candidate.attempt.step@domain>`` ids."""
    key = message_id.strip().strip("<>").split("@", 1)[0]
    parts = key.split(".", 3)
    if len(parts) == 4 and parts[2].isdigit():
        return key, parts[0], parts[1], int(parts[2])
    return key, "", "", 0


class Sink:
    def __init__(self, settings: Settings) -> None:
        self.ledger = Ledger(settings.sandbox_dir)
        self.outbox = settings.sandbox_dir / "outbox"
        self.outbox.mkdir(parents=True, exist_ok=True)
        self.login = (settings.smtp_username.encode(), settings.smtp_password.get_secret_value().encode())
        self.deferred: Counter[str] = Counter()
        self.dropped: set[str] = set()

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == self.login
        return AuthResult(success=ok, handled=False, auth_data=data)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        local = address.split("@", 1)[0]
        if "+bounce" in local:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        if "+greylist" in local and self.deferred[address] == 0:
            self.deferred[address] += 1
            return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        message_id = str(message["Message-ID"] or "")
        if not message_id:
            return "550 5.6.0 A Message-ID is required here"
        key, round_id, candidate_id, attempt = effect_key(message_id)
        fresh = self.ledger.record(
            key,
            channel="email",
            round_id=round_id,
            candidate_id=candidate_id,
            attempt=attempt,
            recipient=", ".join(envelope.rcpt_tos),
            body=_summary(message, tls=session.ssl is not None),
        )
        if fresh:
            (self.outbox / f"{key}.eml").write_bytes(raw)
        if any("+drop" in r for r in envelope.rcpt_tos) and message_id not in self.dropped:
            self.dropped.add(message_id)
            transport = server.transport
            assert isinstance(transport, asyncio.Transport)
            transport.abort()  # filed, but the client never hears "250"
        return "250 2.0.0 Message accepted for delivery"


def _summary(message: EmailMessage, *, tls: bool) -> dict[str, Any]:
    text = message.get_body(preferencelist=("plain",))
    return {
        "subject": str(message["Subject"]),
        "message_id": str(message["Message-ID"]),
        "body": text.get_content() if text is not None else "",
        "parts": [part.get_content_type() for part in message.walk()],
        "attachments": [part.get_filename() for part in message.iter_attachments()],
        "invite": _invite(message),
        "tls": tls,
    }


def _invite(message: EmailMessage) -> dict[str, Any]:
    """The calendar invite's identity and time, so a test can follow one event through changes."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            try:
                calendar = Calendar.from_ical(part.get_content())
                event = calendar.walk("VEVENT")[0]
                start = event.decoded("dtstart").astimezone(timezone.utc).isoformat()
            except (ValueError, IndexError, KeyError, AttributeError):  # not an invite of ours: filed as it is
                return {"unreadable": True}
            method, sequence = str(calendar.get("method", "")), int(event.get("sequence", 0))
            return {"uid": str(event["uid"]), "sequence": sequence, "method": method, "start": start}
    return {}


async def serve(settings: Settings, *, port: int, tls_dir: Path) -> None:
    write_test_ca(tls_dir)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_dir / "server.pem", tls_dir / "server.key")
    sink = Sink(settings)
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(
            sink,
            hostname="mail.sandbox.test",
            tls_context=context,
            require_starttls=True,
            authenticator=sink.authenticate,
            auth_required=True,
        ),
        "127.0.0.1",
        port,
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tls", type=Path, required=True, help="folder of the sandbox CA and server certificate")
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's per-session chatter and deprecations
    asyncio.run(serve(Settings(), port=args.port, tls_dir=args.tls))


if __name__ == "__main__":
    main()
