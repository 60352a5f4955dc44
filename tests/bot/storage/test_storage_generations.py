"""Logging generations, linking them to Discord messages, and concurrent writers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.storage import Database, NewGeneration, StorageError, UnknownGenerationError


async def test_record_attach_and_look_up_round_trip(db: Database, make_generation) -> None:
    new = make_generation()
    before = datetime.now(UTC)
    generation_id = await db.record_generation(new)

    row = await db.get_generation(generation_id)
    assert row is not None
    assert row.id == generation_id
    assert before <= row.created_at <= datetime.now(UTC)
    assert row.created_at.tzinfo is not None
    for field in (
        "source", "guild_id", "channel_id", "user_id", "interaction_id", "seed",
        "rng_seed", "model_version", "output", "latency_ms", "status", "error",
    ):  # fmt: skip
        assert getattr(row, field) == getattr(new, field), field
    assert dict(row.params) == {"temperature": 0.9, "top_k": 40, "max_tokens": 200}
    assert row.message_id is None

    await db.attach_message(generation_id, 1_500_000_000_000_000_005)
    assert await db.generation_for_message(1_500_000_000_000_000_005) == generation_id
    row = await db.get_generation(generation_id)
    assert row is not None and row.message_id == 1_500_000_000_000_000_005


async def test_unknown_ids_are_none(db: Database) -> None:
    assert await db.get_generation(404) is None
    assert await db.generation_for_message(404) is None


async def test_console_generation_without_discord_ids(db: Database) -> None:
    new = NewGeneration(
        source="console",
        seed="",
        params={"temperature": 1.2},
        model_version="lstm-v2",
        status="error",
        error="model not loaded",
    )
    row = await db.get_generation(await db.record_generation(new))
    assert row is not None
    assert (row.guild_id, row.channel_id, row.user_id, row.interaction_id) == (None,) * 4
    assert (row.source, row.status, row.error, row.output) == (
        "console",
        "error",
        "model not loaded",
        None,
    )


async def test_given_created_at_is_stored_as_utc(db: Database, make_generation) -> None:
    local = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    row = await db.get_generation(await db.record_generation(make_generation(created_at=local)))
    assert row is not None
    assert row.created_at == local
    assert row.created_at.utcoffset() == timedelta(0)


async def test_attach_message_errors(db: Database, make_generation) -> None:
    first = await db.record_generation(make_generation())
    second = await db.record_generation(make_generation())
    await db.attach_message(first, 77)
    await db.attach_message(first, 77)  # repeating the same link is harmless
    with pytest.raises(StorageError, match="already attached"):
        await db.attach_message(second, 77)
    with pytest.raises(UnknownGenerationError, match="no generation with id 999"):
        await db.attach_message(999, 78)
    # Many generations may still wait for their message at the same time.
    assert await db.generation_for_message(77) == first


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"source": "slack"}, "source"),
        ({"status": "done"}, "status"),
        ({"params": [("temperature", 1.0)]}, "params"),
        ({"created_at": datetime(2024, 1, 1)}, "timezone"),
    ],
)
def test_invalid_new_generation_is_rejected(make_generation, overrides, message) -> None:
    with pytest.raises(ValueError, match=message):
        make_generation(**overrides)


async def test_params_must_be_json(db: Database, make_generation) -> None:
    with pytest.raises(ValueError):
        await db.record_generation(make_generation(params={"temperature": float("nan")}))
    with pytest.raises(TypeError):
        await db.record_generation(make_generation(params={"when": datetime.now(UTC)}))


def test_params_are_copied_so_later_changes_do_not_leak(make_generation) -> None:
    params = {"temperature": 0.5}
    new = make_generation(params=params)
    params["temperature"] = 9.9
    assert new.params["temperature"] == 0.5
    with pytest.raises(TypeError):
        new.params["temperature"] = 1.0  # type: ignore[index]


async def test_sixty_concurrent_writers_all_land(db: Database, make_generation) -> None:
    async def one(i: int) -> int:
        await asyncio.sleep(0)  # let every task start before any finishes
        generation_id = await db.record_generation(make_generation(seed=f"seed {i}", user_id=i))
        await db.attach_message(generation_id, 10_000 + i)
        await db.set_rating(generation_id, i, i % 5 + 1)
        return generation_id

    ids = await asyncio.gather(*(one(i) for i in range(60)))
    assert len(set(ids)) == 60
    for i, generation_id in enumerate(ids):
        row = await db.get_generation(generation_id)
        assert row is not None and (row.seed, row.user_id) == (f"seed {i}", i)
        assert await db.generation_for_message(10_000 + i) == generation_id
        assert await db.ratings_for(generation_id) == {i: i % 5 + 1}
    assert (await db.stats()).total_generations == 60


async def test_two_connections_to_one_file_both_write(db_path, make_generation) -> None:
    # The bot and a maintenance command may hold the file open at the same time.
    async with await Database.open(db_path) as a, await Database.open(db_path) as b:
        ids = await asyncio.gather(
            *(target.record_generation(make_generation()) for target in (a, b) * 15)
        )
        assert len(set(ids)) == 30
        assert (await a.stats()).total_generations == 30
