"""Reaching Discord, for as long as it takes.

At boot the network may not be up yet, and Discord has outages: neither is a reason for the
process to end, or to print a traceback. Logging in is retried with capped exponential backoff
and jitter, one log line an attempt, until Discord answers; only a refused token ends it
(`discord.LoginFailure`). Once logged in, discord.py's own reconnect loop carries the gateway
through later outages, and `OneLineReconnects` keeps its log to one line an attempt too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiohttp
import discord

if TYPE_CHECKING:
    from bot.discord_app.client import LyricBot

log = logging.getLogger(__name__)
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # aiohttp's connection and DNS errors are OSErrors too
    aiohttp.ClientError,
    TimeoutError,
    discord.DiscordServerError,
    discord.GatewayNotFound,
)
RETRY_LINE = "cannot reach Discord: %s; retrying in %.0f s"


class Backoff:
    """Delays of first, 2×first, 4×first … capped, each drawn from its upper half so that
    many bots restarted together do not knock on Discord's door in step."""

    def __init__(self, first: float = 1.0, cap: float = 60.0) -> None:
        self.first, self.cap, self.attempts = first, cap, 0
        self._random = random.Random()

    def next(self) -> float:
        ceiling = min(self.cap, self.first * 2**self.attempts)
        self.attempts += 1
        return self._random.uniform(ceiling / 2, ceiling)


def describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


async def log_in(
    make_bot: Callable[[], LyricBot], token: str, stop: asyncio.Event
) -> LyricBot | None:
    """A logged-in bot, or None if `stop` was set while waiting to retry. Each attempt has a
    bot of its own: a failed login leaves its HTTP session in no state to try again."""
    backoff = Backoff()
    while not stop.is_set():
        bot = make_bot()
        try:
            await bot.login(token)
            return bot
        except UNREACHABLE as exc:
            await bot.close()
            delay = backoff.next()
            log.warning(RETRY_LINE, describe(exc), delay)
        except BaseException:
            await bot.close()
            raise
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
    return None


class OneLineReconnects(logging.Filter):
    """discord.py logs every gateway reconnect attempt with a full traceback; an hour's
    outage would bury the log. The same news in one line: what failed and when it retries."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "discord.client" and str(record.msg).startswith("Attempting a reconnect"):
            error = record.exc_info[1] if record.exc_info else None
            delay = record.args[0] if isinstance(record.args, tuple) and record.args else 0.0
            record.msg, record.args = RETRY_LINE, (describe(error) if error else "?", delay)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True
