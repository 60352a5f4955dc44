"""Shared fixtures: a real SQLite file per test and builders for generation and corpus records."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Database, NewCorpusEntry, NewGeneration

MakeGeneration = Callable[..., NewGeneration]
MakeEntry = Callable[..., NewCorpusEntry]
WriteAroundApi = Callable[..., None]


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


@pytest.fixture
def make_entry() -> MakeEntry:
    """Build a Discord submission of ``text``; its sha256 is computed as the caller would."""

    def build(
        text: str = "neon rain on the window\nyour name in the static", **overrides: Any
    ) -> NewCorpusEntry:
        fields: dict[str, Any] = {
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "text": text,
            "source": "submission",
            "title": "Static",
            "licence": "CC BY 4.0, written by the submitter",
            "submitted_by": 1_300_000_000_000_000_003,
        }
        fields.update(overrides)
        return NewCorpusEntry(**fields)

    return build


@pytest.fixture
def write_around_api(db_path: Path) -> WriteAroundApi:
    """Run one write with a plain sqlite3 connection, bypassing every check in Python."""

    def write(sql: str, params: tuple[Any, ...] = ()) -> None:
        with closing(sqlite3.connect(db_path)) as conn, conn:
            conn.execute(sql, params)

    return write
