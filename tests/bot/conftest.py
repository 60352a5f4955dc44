"""Bot fixtures: a models folder holding a real tiny trained model, and settings for it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.services.container import Services, open_services
from bot.services.lyrics import LyricsAnswer, LyricsRequest
from bot.services.queue import PositionCallback
from bot.settings import Settings


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
