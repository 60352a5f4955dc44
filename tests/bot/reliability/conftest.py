"""Reliability fixtures: the end-to-end harness of tests/bot/conftest.py, made safe to run
beside other test runs, and stricter about the bot's log.

What a reliability test asks of every reply is what a user would notice: an answer arrives
(lyrics, or a clear private message), it never pings anyone, and every answer shown is in the
generation log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from fakediscord import BotProcess, FakeDiscord, FakeInteraction, FakeMember, MessageRecord
from reliability_support import error_lines, settled

StartBot = Callable[..., AbstractAsyncContextManager[BotProcess]]
Ask = Callable[..., Awaitable[tuple[FakeInteraction, MessageRecord]]]


@pytest.fixture
def bot_env(bot_env: dict[str, str]) -> dict[str, str]:
    """No health endpoint: its fixed default port would collide with a concurrent run."""
    return {**bot_env, "LYRICBOT_HEALTH_PORT": "0"}


@pytest.fixture
def start_bot(start_bot: StartBot) -> StartBot:
    """As for end-to-end tests, and on a clean exit the log holds no ERROR line either."""

    @asynccontextmanager
    async def run(**settings: str) -> AsyncIterator[BotProcess]:
        async with start_bot(**settings) as process:
            yield process
        log = process.log_text()
        assert error_lines(log) == [], log[-4000:]

    return run


@pytest.fixture
def ask(discord: FakeDiscord) -> Ask:
    """Run /lyrics as a user and wait for the settled reply (lyrics or a refusal)."""

    async def run(
        options: Mapping[str, Any],
        *,
        user: FakeMember | None = None,
        within: float = 60.0,
        command: str = "lyrics",
    ) -> tuple[FakeInteraction, MessageRecord]:
        interaction = await discord.invoke_slash(command, dict(options), user=user)
        return interaction, await interaction.wait_for_reply(within, settled)

    return run
