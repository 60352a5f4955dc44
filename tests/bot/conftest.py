"""Bot fixtures: a models folder holding a real tiny trained model, settings for it, and the
end-to-end harness: the real bot process (`python -m bot run`) on the real discord.py client,
connected to the local fake Discord, with a real tiny model and a real SQLite file."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fakediscord import BotProcess, FakeDiscord, GuildSpec

from bot.services.container import Services, open_services
from bot.services.lyrics import LyricsAnswer, LyricsRequest
from bot.services.queue import PositionCallback
from bot.settings import Settings
from bot.storage import Database
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus
from lyriccore.starter import starter_training_corpus
from lyriccore.trainer import train


@pytest.fixture
def models_dir(tmp_path: Path, char_model: Path) -> Path:
    root = tmp_path / "models"
    shutil.copytree(char_model, root / "starter")
    return root


@pytest.fixture
def settings(tmp_path: Path, models_dir: Path) -> Settings:
    return Settings(
        token="test-token-not-real",
        db_path=tmp_path / "data" / "lyricbot.db",
        models_dir=models_dir,
        cooldown_rate=0,
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with open_services(settings) as opened:
        yield opened


Write = Callable[..., Awaitable[LyricsAnswer]]


@pytest.fixture
def write() -> Write:
    """Admit a request, then write it: the same two steps every front end takes."""

    async def admit_and_write(
        services: Services, request: LyricsRequest, on_position: PositionCallback | None = None
    ) -> LyricsAnswer:
        return await services.lyrics.write(services.lyrics.admit(request), on_position)

    return admit_and_write


# -- end-to-end: the real bot process against the fake Discord ---------------------------

T = TypeVar("T")
StartBot = Callable[..., AbstractAsyncContextManager[BotProcess]]


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    spec = GuildSpec(name="Lyric Lab", channels=("general", "lyrics"))
    async with FakeDiscord(guilds=[spec], interaction_deadline=None) as fake:
        yield fake
        assert fake.unknown_routes == []
        assert fake.server_errors == []


@pytest.fixture(scope="session")
def slow_model(tmp_path_factory: pytest.TempPathFactory, small_corpus: Corpus) -> Path:
    """A wide, barely trained model: each answer takes a second or two, long enough for a
    queue to fill deterministically."""
    out = tmp_path_factory.mktemp("slow-model")
    shape = {"hidden_size": 768, "embed_dim": 32, "seq_len": 16, "batch_size": 4}
    config = TrainConfig(**shape, epochs=1, max_minutes=0.001, threads=1)
    train(small_corpus, config, out, progress=False)
    return out


@pytest.fixture(scope="session")
def starter_tiny_model(tmp_path_factory: pytest.TempPathFactory, tiny: dict[str, int]) -> Path:
    """A tiny model trained on exactly what the approved corpus holds at first start (the
    starter songs minus the held-out ones), so a retrain finds nothing new."""
    out = tmp_path_factory.mktemp("starter-tiny")
    train(starter_training_corpus(), TrainConfig(**{**tiny, "epochs": 1}), out, progress=False)
    return out


@pytest.fixture
def bot_env(discord: FakeDiscord, tmp_path: Path, models_dir: Path) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": discord.token,
        "DISCORD_GUILD_IDS": str(discord.guild_id),
        "LYRICBOT_DB": str(tmp_path / "data" / "lyricbot.db"),
        "LYRICBOT_MODELS": str(models_dir),
        "LYRICBOT_COOLDOWN_RATE": "0",
    }


@pytest.fixture
def start_bot(discord: FakeDiscord, tmp_path: Path, bot_env: dict[str, str]) -> StartBot:
    """Run the bot with extra settings; on exit its log must hold no traceback or token."""

    @asynccontextmanager
    async def run(**settings: str) -> AsyncIterator[BotProcess]:
        env = {**bot_env, **settings}
        async with BotProcess(discord, ["bot", "run"], env=env, cwd=tmp_path) as process:
            await discord.wait_until_identified(30)
            await discord.wait_until_synced(30)
            yield process
        log = process.log_text()
        assert "Traceback" not in log, log
        assert discord.token not in log

    return run


@pytest.fixture
async def db(bot_env: dict[str, str]) -> AsyncIterator[Database]:
    """A second connection to the bot's database, as an operator's would be (WAL allows it)."""
    async with await Database.open(Path(bot_env["LYRICBOT_DB"])) as opened:
        yield opened


Eventually = Callable[..., Awaitable[Any]]


@pytest.fixture
def eventually() -> Eventually:
    """Poll a probe until it returns something truthy: the bot writes asynchronously."""

    async def poll(probe: Callable[[], Awaitable[T]], within: float = 10.0) -> T:
        value: Any = None
        for _ in range(int(within / 0.05)):
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.05)
        raise AssertionError(f"condition not met within {within} s (last value {value!r})")

    return poll
