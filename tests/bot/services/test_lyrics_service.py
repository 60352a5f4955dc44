import asyncio
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.services.container import open_services
from bot.services.errors import (
    GenerationTimedOut,
    InvalidRequest,
    QueueFull,
    UnknownModel,
    WarmingUp,
)
from bot.services.follow_ups import follow_up
from bot.services.lyrics import LyricsRequest
from bot.settings import Settings


async def test_lyrics_are_written_logged_and_reproducible(services, write) -> None:
    request = LyricsRequest(seed="we drift", lines=3, rng_seed=11, guild_id=5, user_id=9)
    answer = await write(services, request)
    assert answer.text.startswith("we drift")
    assert len([ln for ln in answer.text.split("\n") if ln.strip()]) == 3
    row = await services.db.get_generation(answer.generation_id)
    assert row is not None and row.output == answer.text and row.status == "ok"
    assert row.rng_seed == 11 and row.params["temperature"] == 0.8
    assert row.model_version == answer.result.model_version and row.latency_ms > 0
    again = await write(services, request)
    assert again.text == answer.text and again.generation_id != answer.generation_id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seed": "   "}, "seed is empty"),
        ({"seed": "x" * 201}, "limit is 200"),
        ({"temperature": 5.0}, "`temperature` must be between 0.1 and 2"),
        ({"lines": 40}, "`lines` must be between 1 and 32"),
        ({"top_p": 0.0}, "`top_p`"),
        ({"rng_seed": -1}, "`rng_seed`"),
    ],
)
async def test_bad_requests_get_a_clear_message_and_log_nothing(
    services, write, changes: dict, message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        await write(services, replace(LyricsRequest(seed="ok"), **changes))
    assert (await services.db.stats(None)).total_generations == 0


async def test_unknown_model_is_refused(services, write) -> None:
    with pytest.raises(UnknownModel, match="no model called"):
        services.lyrics.admit(LyricsRequest(seed="hi", model="../../etc"))
    assert services.engine.queue.depth == 0


async def test_a_full_queue_refuses_at_once_and_waiters_see_their_position(
    settings: Settings, write
) -> None:
    async with open_services(replace(settings, workers=1, queue_size=1)) as services:
        queue = services.engine.queue
        release = asyncio.Event()

        async def hold_worker() -> None:
            async with queue.slot():
                await release.wait()

        holder = asyncio.create_task(hold_worker())
        await asyncio.sleep(0)
        positions: list[int] = []
        queued = asyncio.Event()

        async def report(position: int) -> None:
            positions.append(position)
            queued.set()

        waiting = asyncio.create_task(write(services, LyricsRequest(seed="wait", lines=1), report))
        await asyncio.wait_for(queued.wait(), timeout=10)
        with pytest.raises(QueueFull) as refused:
            services.lyrics.admit(LyricsRequest(seed="one more"))
        assert refused.value.retry_after >= 1
        release.set()
        answer = await waiting
        await holder
        assert positions == [1] and answer.text.startswith("wait")


async def test_a_generation_over_its_budget_is_stopped_and_logged(
    settings: Settings, write
) -> None:
    async with open_services(replace(settings, generation_timeout=0.001)) as services:
        with pytest.raises(GenerationTimedOut, match="longer than"):
            await write(services, LyricsRequest(seed="slow", lines=32))
        report = await services.db.stats(None)
        assert report.total_generations == 1
        rows = [row async for row in services.db.export_rows()]
        assert rows[0]["status"] == "timeout"
        assert services.engine.queue.depth == 0


async def test_fifty_concurrent_requests_are_all_answered_and_logged(services, write) -> None:
    requests = [LyricsRequest(seed=f"line {i}", lines=2, user_id=i) for i in range(50)]
    services.engine.queue.capacity = 64
    answers = await asyncio.gather(*(write(services, r) for r in requests))
    assert len({a.generation_id for a in answers}) == 50
    assert (await services.db.stats(None)).total_generations == 50


async def test_first_start_trains_the_starter_model_while_answering_warming_up(
    tmp_path: Path, settings: Settings, write
) -> None:
    empty = replace(settings, models_dir=tmp_path / "fresh", starter_minutes=0.02)
    async with open_services(empty) as services:
        assert services.engine.warming_up
        with pytest.raises(WarmingUp, match="Warming up"):
            await write(services, LyricsRequest(seed="hello"))
        for _ in range(600):
            if not services.engine.warming_up:
                break
            await asyncio.sleep(0.1)
        answer = await write(services, LyricsRequest(seed="hello", lines=2))
        assert answer.text.startswith("hello")
        assert services.engine.model_names() == ["starter"]


async def test_a_styled_answer_is_logged_and_counted_and_unknown_styles_are_refused(
    tmp_path: Path, starter_tiny_model: Path, write
) -> None:
    models = tmp_path / "models"
    shutil.copytree(starter_tiny_model, models / "starter")  # knows the starter's 19 styles
    settings = Settings(
        token="t", db_path=tmp_path / "db.sqlite3", models_dir=models, cooldown_rate=0
    )
    async with open_services(settings) as services:
        styled = LyricsRequest(seed="we drift", style="Sea Shanty", lines=2, rng_seed=1)
        answer = await write(services, styled)
        assert "style sea_shanty" in answer.summary()
        row = await services.db.get_generation(answer.generation_id)
        assert row.params["style"] == "sea_shanty"
        take = follow_up(row, "take", user_id=9, guild_id=None, channel_id=None, interaction_id=1)
        assert take.style == "sea_shanty"  # another take is in the same style
        await write(services, LyricsRequest(seed="we drift", lines=2))
        by_style = {g.key: g.generations for g in (await services.db.stats()).by_style}
        assert by_style == {"any": 1, "sea_shanty": 1}
        with pytest.raises(InvalidRequest, match="Unknown style 'polka'; this model knows: ball"):
            services.lyrics.admit(LyricsRequest(seed="x", style="polka"))
        with pytest.raises(InvalidRequest, match="is not a style name"):
            services.lyrics.admit(LyricsRequest(seed="x", style="!!"))
        assert services.engine.queue.depth == 0
