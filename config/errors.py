"""The one exception tree of secondround.

    SecondroundError
    ├── ConfigError                 bad input from an operator: nothing is sent
    │   ├── RoundFileError          a round file with problems (lists every one, with its path)
    │   ├── SettingsError           missing or placeholder credentials outside the sandbox
    │   └── RerunRefusedError       a rerun asked for a candidate whose run is alive or decided
    ├── ChannelError                a boundary (phone, mail, calendar) refused or failed
    │   ├── TransientChannelError   worth retrying: rate limits, dropped connections, timeouts
    │   └── TerminalChannelError    retrying cannot help: invalid number, bad credentials,
    │       │                       a certificate that fails its check
    │       └── AddressRefused      this address will not take mail (5xx): the flow records it
    │                               and tells the recruiter
    └── ReplyError                  an inbound reply that cannot be acted on
        ├── NoWaitingRunError       no run is waiting for this candidate (decided, or never started)
        └── BadLink                 her link was changed or forged: 400, nothing recorded
            └── ExpiredLink         her link is past its time (the interview began): 410

Only ``TransientChannelError`` is retried (see ``tasks.effects``); every other error leads to a
decision in the flow, never to a loop.
"""

from __future__ import annotations


class SecondroundError(Exception):
    """Base of every error secondround raises on purpose."""


class ConfigError(SecondroundError):
    """Operator input is wrong; nothing was sent."""


class RoundFileError(ConfigError):
    """A hiring-round file failed validation.

    ``problems`` holds one ``"path: message"`` line per problem, e.g.
    ``candidates[3].phone: not a valid E.164 number``.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


class SettingsError(ConfigError):
    """Settings are unusable for the selected mode."""


class ChannelError(SecondroundError):
    """A boundary refused or failed."""

    def __init__(self, channel: str, message: str) -> None:
        self.channel = channel
        super().__init__(f"{channel}: {message}")


class TransientChannelError(ChannelError):
    """Retrying later may succeed."""


class TerminalChannelError(ChannelError):
    """Retrying cannot help; fall back and record why."""


class AddressRefused(TerminalChannelError):
    """The mail server refused this recipient for good."""


class ReplyError(SecondroundError):
    """An inbound reply that cannot be acted on."""


class NoWaitingRunError(ReplyError):
    """No run is waiting for a reply from this candidate."""


class BadLink(ReplyError):
    """A reply link that was tampered with or not issued by us."""


class ExpiredLink(BadLink):
    """A genuine reply link whose time is over (it expires when the interview starts)."""


class RerunRefusedError(ConfigError):
    """rerun-candidate refused: her run is alive (resume or cancel it) or she is decided."""
