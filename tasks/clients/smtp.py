"""The SMTP boundary: encrypted, authenticated submission with connections reused across sends.

A round sends many messages from the same worker process (confirmation, briefings, catering),
so each process keeps up to ``smtp_connections`` logged-in connections and reuses an idle one;
a connection idle for longer than ``IDLE_SECONDS`` is closed rather than trusted.

Errors (``config.errors``):

    TransientChannelError   a 4xx reply, a dropped, refused or timed-out connection: retried
    TerminalChannelError    bad login, a certificate that fails its check, no STARTTLS offered,
    │                       any other 5xx: the task fails and the operator fixes settings
    └── AddressRefused      a 5xx for the recipient: recorded, the recruiter is told
"""

from __future__ import annotations

import asyncio
import ssl
import time
from email.message import EmailMessage
from weakref import WeakKeyDictionary

import aiosmtplib

from config.errors import AddressRefused, TerminalChannelError, TransientChannelError
from config.settings import Settings

IDLE_SECONDS = 20.0


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Certificate and host name checks always on; a private CA replaces the system's if set."""
    return ssl.create_default_context(cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None)


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._slots = asyncio.Semaphore(settings.smtp_connections)
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self.opened = 0  # connections opened so far, for the benchmark and the tests

    async def _connection(self) -> tuple[aiosmtplib.SMTP, bool]:
        while self._idle:
            client, since = self._idle.pop()
            if client.is_connected and time.monotonic() - since < IDLE_SECONDS:
                return client, True
            client.close()
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",  # True fails closed: never a silent plaintext fallback
            tls_context=tls_context(s) if s.smtp_security != "plain" else None,
            username=s.smtp_username or None,
            password=s.smtp_password.get_secret_value() or None,
            timeout=s.smtp_timeout_seconds,
        )
        await client.connect()
        self.opened += 1
        return client, False

    async def send(self, message: EmailMessage) -> str:
        """Submit one message; the server's reply text on success."""
        async with self._slots:
            try:
                client, reused = await self._connection()
                try:
                    _, reply = await client.send_message(message)
                except aiosmtplib.SMTPServerDisconnected:
                    client.close()
                    if not reused:
                        raise
                    # an idle connection the server had closed: one fresh try (same Message-ID)
                    client, _ = await self._connection()
                    _, reply = await client.send_message(message)
            except Exception as error:
                raise _classified(error, message) from error
            self._idle.append((client, time.monotonic()))
            return reply

    def close(self) -> None:
        while self._idle:
            self._idle.pop()[0].close()


def _classified(error: Exception, message: EmailMessage) -> Exception:  # noqa: PLR0911 (one return per class)
    to = ", ".join(a.addr_spec for a in message["To"].addresses)
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        text = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
        if all(code >= 500 for code in codes):
            return AddressRefused("email", f"{to} refused: {text}")
        return TransientChannelError("email", f"{to} deferred: {text}")
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return TerminalChannelError("email", f"the mail server refused our login ({error.code} {error.message})")
    if isinstance(error, ssl.SSLCertVerificationError):
        return TerminalChannelError("email", f"the mail server's certificate failed its check: {error.verify_message}")
    if isinstance(error, aiosmtplib.SMTPResponseException):
        kind = TransientChannelError if 400 <= error.code < 500 else TerminalChannelError
        return kind("email", f"the mail server said {error.code} {error.message}")
    if isinstance(error, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPTimeoutError | OSError | TimeoutError):
        return TransientChannelError("email", f"connection lost: {error!r}")
    if isinstance(error, aiosmtplib.SMTPException):  # e.g. STARTTLS required but not offered
        return TerminalChannelError("email", str(error))
    return error


_MAILERS: WeakKeyDictionary[asyncio.AbstractEventLoop, Mailer] = WeakKeyDictionary()


def mailer(settings: Settings) -> Mailer:
    """This event loop's mailer (connections cannot cross loops)."""
    loop = asyncio.get_running_loop()
    found = _MAILERS.get(loop)
    if found is None or found.settings is not settings:
        found = _MAILERS[loop] = Mailer(settings)
    return found
