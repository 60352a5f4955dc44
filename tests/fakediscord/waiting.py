"""Waiting for the bot: one change signal that every state change pokes.

Tests never sleep and poll; they wait for a predicate over the fake's state and get a timeout
error that says what they were waiting for, instead of a bare ``TimeoutError``.
"""

# ruff: noqa: ASYNC109 - test helpers take `timeout` so a timeout can say what it awaited

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class FakeDiscordTimeout(TimeoutError):
    """The bot did not do what the test waited for in time."""


class ChangeSignal:
    """Wakes every waiter whenever the fake's state changes, so they re-check their predicate."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(
        self,
        probe: Callable[[], T | None],
        timeout: float,
        what: str,
        context: Callable[[], str] = lambda: "",
    ) -> T:
        """Returns ``probe()``'s first result that is not None (falsy results count as ready)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = self._event
                    result = probe()
                    if result is not None:
                        return result
                    await event.wait()
        except TimeoutError:
            detail = context()
            suffix = f"\n{detail}" if detail else ""
            raise FakeDiscordTimeout(
                f"timed out after {timeout}s waiting for {what}{suffix}"
            ) from None
