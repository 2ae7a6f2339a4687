"""The mail adapter against the sandbox SMTP sink over loopback: STARTTLS with certificate
checks on (a test CA), AUTH, the outbox, and every fault the issue names."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Coroutine
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import SecretStr

from config.errors import AddressRefused, TerminalChannelError, TransientChannelError
from config.settings import Settings
from sandbox.ledger import Ledger
from tasks.clients.smtp import Mailer
from tasks.effects import EffectKey
from tasks.mail import Email, Invite, compose
from tests.conftest import Peers

T = TypeVar("T")
ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def message(step: str, *, to: str = "ann@mail.example", settings: Settings, invite: bool = False) -> EmailMessage:
    key = EffectKey(round_id="mail", candidate_id="ann", attempt=1, step=step)
    body = Email(
        to=to,
        to_name="Ann Example",
        subject=f"Test {step}",
        text="Hello",
        html="<p>Hello</p>",
        from_name="Northwind Labs recruiting",
        invite=Invite(ics=ICS, method="REQUEST") if invite else None,
    )
    return compose(key, body, settings)


async def send(settings: Settings, *messages: EmailMessage) -> Mailer:
    mailer = Mailer(settings)
    for m in messages:
        await mailer.send(m)
    return mailer


def filed(peers: Peers, step: str) -> EmailMessage:
    raw = (peers.outbox / f"mail.ann.1.{step}.eml").read_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def tries(peers: Peers, step: str) -> int:
    effects = Ledger(peers.outbox.parent).effects(round_id="mail")
    return next(e.tries for e in effects if e.key == f"mail.ann.1.{step}")


def test_a_message_goes_over_starttls_with_auth_and_lands_in_the_outbox_whole(peers: Peers) -> None:
    run(send(peers.settings, message("invite", settings=peers.settings, invite=True)))
    got = filed(peers, "invite")
    assert got["Message-ID"] == "<mail.ann.1.invite@secondround.example>"
    assert [p.get_content_type() for p in got.walk()][-2:] == ["text/calendar", "text/calendar"]
    effect = next(e for e in Ledger(peers.outbox.parent).effects(round_id="mail") if e.key.endswith(".invite"))
    assert effect.body["tls"] is True and effect.body["attachments"] == ["invite.ics"]


def test_one_connection_serves_many_messages(peers: Peers) -> None:
    mailer = run(send(peers.settings, *(message(f"batch-{n}", settings=peers.settings) for n in range(5))))
    assert mailer.opened == 1

    async def concurrently() -> Mailer:
        pooled = Mailer(peers.settings.model_copy(update={"smtp_connections": 2}))
        await asyncio.gather(*(pooled.send(message(f"many-{n}", settings=peers.settings)) for n in range(8)))
        return pooled

    assert run(concurrently()).opened == 2


def test_a_refused_address_is_terminal_and_nothing_is_filed(peers: Peers) -> None:
    with pytest.raises(AddressRefused, match=r"ann\+bounce@mail.example refused: 550 5.1.1"):
        run(send(peers.settings, message("bounce", to="ann+bounce@mail.example", settings=peers.settings)))
    assert not (peers.outbox / "mail.ann.1.bounce.eml").exists()


def test_a_4xx_reply_is_transient_and_the_retry_goes_through(peers: Peers) -> None:
    greylisted = message("grey", to="ann+greylist@mail.example", settings=peers.settings)
    with pytest.raises(TransientChannelError, match="451"):
        run(send(peers.settings, greylisted))
    run(send(peers.settings, greylisted))
    assert tries(peers, "grey") == 1


def test_a_lost_reply_is_transient_and_the_resend_is_recognised_by_its_message_id(peers: Peers) -> None:
    dropped = message("drop", to="ann+drop@mail.example", settings=peers.settings)
    with pytest.raises(TransientChannelError, match="connection lost"):
        run(send(peers.settings, dropped))  # the sink filed it, then cut the line before "250"
    run(send(peers.settings, dropped))
    assert tries(peers, "drop") == 2  # handed over twice, filed once: her mailbox shows one
    assert filed(peers, "drop")["Message-ID"] == "<mail.ann.1.drop@secondround.example>"


def test_a_wrong_password_is_terminal(peers: Peers) -> None:
    wrong = peers.settings.model_copy(update={"smtp_password": SecretStr("nope")})
    with pytest.raises(TerminalChannelError, match="refused our login"):
        run(send(wrong, message("login", settings=wrong)))


def test_a_certificate_we_do_not_trust_is_terminal(peers: Peers) -> None:
    untrusted = peers.settings.model_copy(update={"smtp_ca_file": None})  # the system's CAs only
    with pytest.raises(TerminalChannelError, match="certificate failed its check"):
        run(send(untrusted, message("cert", settings=untrusted)))


def test_plain_must_be_chosen_and_a_server_that_insists_on_tls_refuses_it(peers: Peers) -> None:
    assert Settings().smtp_security == "starttls"
    plain = peers.settings.model_copy(update={"smtp_security": "plain", "smtp_username": ""})
    with pytest.raises(TerminalChannelError, match="STARTTLS"):
        run(send(plain, message("plain", settings=plain)))
    assert not (peers.outbox / "mail.ann.1.plain.eml").exists()


def test_a_server_without_starttls_is_never_used_in_clear(tmp_path: Path) -> None:
    """aiosmtplib's default would fall back to plaintext; ours fails closed and sends nothing."""
    received: list[bytes] = []

    class Collector:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            received.append(envelope.original_content or b"")
            return "250 OK"

    async def scenario() -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = await asyncio.get_running_loop().create_server(lambda: SMTP(Collector()), "127.0.0.1", port)
        async with server:
            settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_username="", state_dir=tmp_path)
            with pytest.raises(TerminalChannelError, match=r"(?i)starttls"):
                await send(settings, message("clear", settings=settings))
            assert received == []
            opted_in = settings.model_copy(update={"smtp_security": "plain"})
            await send(opted_in, message("clear", settings=opted_in))  # only when chosen explicitly
            assert len(received) == 1

    run(scenario())


def test_a_dead_server_is_transient(peers: Peers) -> None:
    dead = peers.settings.model_copy(update={"smtp_port": 9})
    with pytest.raises(TransientChannelError):
        run(send(dead, message("dead", settings=dead)))
