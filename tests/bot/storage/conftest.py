"""Shared fixtures: a real SQLite file per test and a builder for generation records."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Database, NewGeneration

MakeGeneration = Callable[..., NewGeneration]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "lyricbot.sqlite3"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(db_path) as database:
        yield database


@pytest.fixture
def make_generation() -> MakeGeneration:
    """Build a plausible Discord generation; keyword arguments override any field."""

    def build(**overrides: Any) -> NewGeneration:
        fields: dict[str, Any] = {
            "source": "discord",
            "guild_id": 1_100_000_000_000_000_001,
            "channel_id": 1_200_000_000_000_000_002,
            "user_id": 1_300_000_000_000_000_003,
            "interaction_id": 1_400_000_000_000_000_004,
            "seed": "midnight train",
            "params": {"temperature": 0.9, "top_k": 40, "max_tokens": 200},
            "rng_seed": 1234,
            "model_version": "lstm-v1",
            "output": "midnight train, carry me home\nthrough the rain",
            "latency_ms": 412.5,
            "status": "ok",
        }
        fields.update(overrides)
        return NewGeneration(**fields)

    return build
