"""The Twilio boundary: one client session, paced call creation, 429 back-off, errors sorted.

The official ``twilio`` client does every request; ``SECONDROUND_TWILIO_API_BASE_URL`` points it
at another endpoint (the sandbox, Prism) through its documented ``http_client`` hook. The SDK
retries nothing useful: a 429 is never processed by Twilio, so it is retried here with jittered
back-off, while a 5xx or a timeout on a *create* is ambiguous (the call may exist) and is left
to the caller, who looks the call up before ringing again.

Errors (``config.errors``): ``TransientChannelError`` for 429s that outlast the back-off, 5xx
and timeouts; ``TerminalChannelError`` for everything Twilio will refuse again (invalid or
unreachable numbers, a call no longer in progress, an opted-out recipient).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from config.errors import ConfigError, TerminalChannelError, TransientChannelError
from config.settings import Settings

T = TypeVar("T")

RATE_LIMITED = 20429


class _Rebased(AsyncTwilioHttpClient):
    """The stock async client, sending every request to another base URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base = urlsplit(base_url)

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        target = urlsplit(url)
        path = self.base.path.rstrip("/") + target.path
        rebased = urlunsplit((self.base.scheme, self.base.netloc, path, target.query, target.fragment))
        return await super().request(method, rebased, *args, **kwargs)


@asynccontextmanager
async def twilio_client(settings: Settings) -> AsyncIterator[Client]:
    """An async Twilio client for the configured account and endpoint; closes its session."""
    if settings.mode == "sandbox" and not settings.twilio_api_base_url:
        raise ConfigError("sandbox mode needs SECONDROUND_TWILIO_API_BASE_URL (the sandbox Twilio's URL)")
    http = _Rebased(settings.twilio_api_base_url) if settings.twilio_api_base_url else AsyncTwilioHttpClient()
    async with http:
        yield Client(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(), http_client=http)


def is_rate_limited(error: TwilioRestException) -> bool:
    return bool(error.status == 429 or error.code == RATE_LIMITED)


def sorted_error(channel: str, error: TwilioRestException) -> TerminalChannelError | TransientChannelError:
    """Transient for 429 and 5xx; terminal for every other refusal (a 4xx will be refused again)."""
    detail = f"Twilio {error.status} error {error.code}: {error.msg}"
    if is_rate_limited(error) or error.status >= 500:
        return TransientChannelError(channel, detail)
    return TerminalChannelError(channel, detail)


async def backing_off(
    request: Callable[[], Awaitable[T]],
    *,
    channel: str,
    timeout: float,
    attempts: int = 6,
    base: float = 0.25,
    cap: float = 4.0,
    before_each: Callable[[], Awaitable[object]] | None = None,
) -> T:
    """Run one Twilio request; retry it only on 429 (never processed by Twilio), with full jitter.

    A 5xx, a timeout and every other error are raised at once, sorted into the exception tree:
    the caller decides whether repeating is safe."""
    for attempt in range(attempts):
        if before_each is not None:
            await before_each()
        try:
            async with asyncio.timeout(timeout):  # the async SDK ignores its own timeout
                return await request()
        except TwilioRestException as error:
            if not is_rate_limited(error) or attempt == attempts - 1:
                raise sorted_error(channel, error) from error
        except TwilioException as error:  # a list's page fetch fails with the bare Response attached
            status = next((a.status_code for a in error.args if isinstance(a, Response)), 0)
            if status != 429 or attempt == attempts - 1:
                kind = TransientChannelError if status in (0, 429) or status >= 500 else TerminalChannelError
                raise kind(channel, f"Twilio {status}: {error.args[0]}") from error
        except TimeoutError as error:
            raise TransientChannelError(channel, f"no answer from Twilio within {timeout:.0f} s") from error
        except (aiohttp.ClientConnectionError, OSError) as error:  # refused or dropped connection
            raise TransientChannelError(channel, f"cannot reach Twilio: {error}") from error
        await asyncio.sleep(random.uniform(0, min(cap, base * 2**attempt)))
    raise AssertionError("unreachable")
