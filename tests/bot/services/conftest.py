"""Fixtures for the evaluation services: a real SQLite file filled through the storage API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Database, NewGeneration

Rate = Callable[..., Awaitable[int]]

SCRIPT_SEED = '<script>document.title = "pwned"</script>'
"""A seed a mischievous user might type: the report must show it, never run it."""


@pytest.fixture
def script_seed() -> str:
    return SCRIPT_SEED


@pytest.fixture
def rate() -> Rate:
    """Log one answer and have one person per score rate it; returns the generation id."""

    async def log_and_rate(
        db: Database, model: str, params: dict[str, Any], scores: list[int], **fields: Any
    ) -> int:
        values: dict[str, Any] = {
            "source": "discord", "guild_id": 1, "seed": "we drift", "params": params,
            "model_version": model, "status": "ok", "output": "we drift\nalong the shore",
        }  # fmt: skip
        generation_id = await db.record_generation(NewGeneration(**{**values, **fields}))
        for user, score in enumerate(scores, start=1):
            await db.set_rating(generation_id, user, score)
        return generation_id

    return log_and_rate


@pytest.fixture
async def rated_db(tmp_path: Path, rate: Rate) -> AsyncIterator[Database]:
    """Two model versions a rater can tell apart, a hostile seed, and an unrated answer."""
    async with await Database.open(tmp_path / "lyricbot.db") as db:
        await rate(
            db,
            "v0001",
            {"temperature": 0.5},
            [2, 1, 2, 3, 2, 1],
            seed=SCRIPT_SEED,
            output=SCRIPT_SEED + "\n<b>not bold</b> & more",
        )
        await rate(db, "v0001", {"temperature": 0.9, "scheme": "AABB"}, [2, 3, 1])
        await rate(
            db,
            "v0002",
            {"temperature": 0.9, "scheme": "ABAB"},
            [5, 5, 4, 5],
            seed="golden hour",
            output="golden hour\nwe hold the light",
        )
        await rate(db, "v0002", {"temperature": 1.2}, [4, 5, 4, 4, 5])
        await rate(db, "v0002", {"temperature": 0.8}, [])
        yield db
