"""Shared fixtures: a real database per test, on both backends (a SQLite file, and a fresh
database on the session's real PostgreSQL), and builders for generation and corpus records.

``db`` is parametrised, so every test that takes it runs once per backend; ``sqlite_db``
is for the few tests about the file itself (WAL, SQLite's own query plans)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.storage import Database, NewCorpusEntry, NewGeneration
from bot.storage.backend import ConstraintError

MakeGeneration = Callable[..., NewGeneration]
MakeEntry = Callable[..., NewCorpusEntry]
WriteAroundApi = Callable[..., Awaitable[None]]

SCHEMA_REFUSALS: dict[str, tuple[type[Exception], ...]] = {
    "sqlite": (ConstraintError,),
    # A wrongly typed value is refused by the column's type before any CHECK runs, and text
    # that is not JSON by the cast in the CHECK: the schema refuses it either way.
    "postgres": (ConstraintError, asyncpg.DataError, asyncpg.InvalidTextRepresentationError),
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "lyricbot.sqlite3"


@pytest.fixture(params=["sqlite", "postgres"])
def db_location(request: pytest.FixtureRequest, db_path: Path) -> Path | str:
    """Where each backend's database for this test lives: the file, or a fresh database."""
    if request.param == "sqlite":
        return db_path
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def db(db_location: Path | str) -> AsyncIterator[Database]:
    async with await Database.open(db_location) as database:
        yield database


@pytest.fixture
async def sqlite_db(db_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(db_path) as database:
        yield database


@pytest.fixture
def schema_refusal(db: Database) -> tuple[type[Exception], ...]:
    """What a write the schema refuses raises on this test's backend."""
    return SCHEMA_REFUSALS[db.dialect]


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
def write_around_api(db: Database) -> WriteAroundApi:
    """Run one write straight on the backend, bypassing every check in Python."""

    async def write(sql: str, params: tuple[Any, ...] = ()) -> None:
        await db.backend.execute(sql, params)

    return write
