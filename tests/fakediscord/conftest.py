"""Fixtures for the fake Discord's self-tests: a server per test and a way to run a bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from . import BotProcess, FakeDiscord, GuildSpec

RunBot = Callable[[str, str, Mapping[str, str]], AbstractAsyncContextManager[BotProcess]]


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    """A fresh fake per test; it must end with no unknown routes and no crashes of its own."""
    spec = GuildSpec(name="Lyric Lab", channels=("general", "lyrics"))
    async with FakeDiscord(guilds=[spec]) as fake:
        yield fake
        assert fake.unknown_routes == []
        assert fake.server_errors == []


@pytest.fixture
def run_bot(discord: FakeDiscord, tmp_path: Path) -> RunBot:
    """Writes a bot module to tmp_path, runs it through launch.py, waits until it has synced.

    The bot gets ``TEST_TOKEN`` and ``TEST_GUILD_ID``; on exit its log must hold no traceback.
    """

    @asynccontextmanager
    async def run(module: str, source: str, env: Mapping[str, str]) -> AsyncIterator[BotProcess]:
        (tmp_path / f"{module}.py").write_text(source)
        full_env = {"TEST_TOKEN": discord.token, "TEST_GUILD_ID": str(discord.guild_id), **env}
        async with BotProcess(discord, [module], env=full_env, cwd=tmp_path) as process:
            await discord.wait_until_identified(15)
            await discord.wait_until_synced(15)
            yield process
        assert "Traceback" not in process.log_text(), process.log_text()

    return run
