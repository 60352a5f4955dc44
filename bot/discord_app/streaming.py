"""Showing an answer while it is written: the placeholder is edited as lines are done.

The first edit comes as soon as the first line is, then at most one a second per message
(Discord's pace for edits), and all streaming edits of the bot share a budget a second, so a
busy evening leaves room for the answers themselves and their reactions. A streaming edit
that fails is skipped: only the final answer must arrive, and it is sent after the last
streaming edit has landed, never overtaken by it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import discord

from bot.discord_app.formatting import NO_PINGS, format_partial
from bot.services.streaming import LiveText

log = logging.getLogger(__name__)
Edit = Callable[..., Awaitable[discord.Message]]  # edits the placeholder: content=..., ...
EDIT_INTERVAL = 1.0  # seconds between two edits of one message
BOT_EDITS_PER_SECOND = 5.0


class EditBudget:
    """A token bucket shared by every streaming message of the bot."""

    def __init__(self, per_second: float = BOT_EDITS_PER_SECOND) -> None:
        self.per_second = per_second
        self._tokens = per_second
        self._at = time.monotonic()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        async with self._lock:
            now = time.monotonic()
            self._tokens = min(self.per_second, self._tokens + (now - self._at) * self.per_second)
            self._at = now
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self.per_second)
                self._tokens, self._at = 1.0, time.monotonic()
            self._tokens -= 1


class AnswerStream:
    """Edits one placeholder with `live`'s lines until `stop`."""

    def __init__(self, live: LiveText, edit: Edit, seed: str, budget: EditBudget) -> None:
        self.live, self.edit, self.seed, self.budget = live, edit, seed, budget
        self.edits = 0
        self._editing = False
        self._task = asyncio.create_task(self._run(), name="stream-answer")

    async def _run(self) -> None:
        next_edit = 0.0
        loop = asyncio.get_running_loop()
        while True:
            await self.live.changed.wait()
            await asyncio.sleep(max(0.0, next_edit - loop.time()))
            await self.budget.take()
            if self.live.finished:
                return
            self.live.changed.clear()
            self._editing = True
            try:
                content = format_partial(self.seed, self.live.text)
                await self.edit(content=content, allowed_mentions=NO_PINGS)
                self.edits += 1
            except discord.HTTPException as exc:
                log.warning("skipped a streaming edit: %s %s", exc.status, exc.text[:80])
            finally:
                self._editing = False
            next_edit = loop.time() + EDIT_INTERVAL

    async def stop(self) -> None:
        """Stop at once unless an edit is on its way, which is let land first."""
        self.live.finish()
        if not self._editing:
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
