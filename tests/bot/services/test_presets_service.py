"""The preset bandit on a real SQLite file: picks, pins, resets, the pooled start, and a
simulation of raters who like one preset a star better than the others."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from random import Random

import pytest

from bot.services.errors import InvalidRequest
from bot.services.lyrics import LyricsRequest
from bot.services.presets import PRESETS, PresetService
from bot.storage import Database, NewGeneration

GUILD, OTHER = 1_100_000_000_000_000_001, 1_100_000_000_000_000_002
NAMES = [p.name for p in PRESETS]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "presets.db") as database:
        yield database


@pytest.fixture
def presets(db: Database) -> PresetService:
    return PresetService(db)


async def _rated(db: Database, guild: int | None, preset: str, *scores: int) -> None:
    """One generation made with `preset`, rated by a different user per score."""
    generation_id = await db.record_generation(
        NewGeneration(
            source="discord", seed="s", params={"preset": preset}, model_version="m",
            status="ok", output="s la", guild_id=guild,
        )
    )  # fmt: skip
    for user, score in enumerate(scores):
        await db.set_rating(generation_id, user, score)


async def _picks(presets: PresetService, guild: int | None, n: int) -> Counter[str]:
    requests = [LyricsRequest(seed="s", guild_id=guild, rng_seed=i) for i in range(n)]
    return Counter([(await presets.choose(r)).preset for r in requests])


async def test_no_sampling_options_get_a_preset_and_its_settings(presets) -> None:
    chosen = await presets.choose(LyricsRequest(seed="s", lines=4, scheme="AABB"))
    preset = next(p for p in PRESETS if p.name == chosen.preset)
    assert (chosen.temperature, chosen.top_p, chosen.repetition_penalty) == (
        preset.temperature, preset.top_p, preset.repetition_penalty,
    )  # fmt: skip
    assert chosen.rng_seed is not None and chosen.scheme == "AABB" and chosen.lines == 4
    assert await presets.choose(chosen) == chosen  # a request written again keeps its pick
    same_seed = LyricsRequest(seed="s", rng_seed=chosen.rng_seed)
    assert (await presets.choose(same_seed)).preset == chosen.preset


@pytest.mark.parametrize("option", ["temperature", "top_p", "top_k", "repetition_penalty"])
async def test_any_sampling_option_means_no_preset(presets, option) -> None:
    request = LyricsRequest(seed="s", **{option: 1})
    assert await presets.choose(request) == request


async def test_with_no_ratings_every_preset_is_picked(presets) -> None:
    picks = await _picks(presets, GUILD, 300)
    assert set(picks) == set(NAMES) and min(picks.values()) > 50
    shares = [s.share for s in (await presets.overview(GUILD)).standings]
    assert sum(shares) == pytest.approx(1.0) and min(shares) > 0.25


async def test_a_new_guild_starts_from_the_pool_and_its_own_ratings_take_over(db, presets) -> None:
    for _ in range(40):
        await _rated(db, OTHER, "wild", 5)
        await _rated(db, OTHER, "calm", 1)
    fresh = {s.preset.name: s for s in (await presets.overview(GUILD)).standings}
    assert fresh["wild"].own.ratings == 0 and fresh["wild"].pooled.ratings == 40
    assert fresh["wild"].share > fresh["balanced"].share > fresh["calm"].share
    # pooled ratings weigh as ten of the guild's own: 40 own ratings overturn them
    for _ in range(40):
        await _rated(db, GUILD, "wild", 1)
        await _rated(db, GUILD, "calm", 5)
    learnt = {s.preset.name: s for s in (await presets.overview(GUILD)).standings}
    assert learnt["calm"].share > learnt["wild"].share
    assert learnt["calm"].own.mean == 5.0 and learnt["calm"].own.ratings == 40


async def test_exploration_never_stops(db, presets) -> None:
    for _ in range(100):
        await _rated(db, GUILD, "calm", 5, 5)
        await _rated(db, GUILD, "wild", 1, 1)
    overview = await presets.overview(GUILD)
    assert all(s.share >= 0.05 for s in overview.standings)
    picks = await _picks(presets, GUILD, 400)
    assert picks["wild"] >= 8 and picks["balanced"] >= 8  # 5 % of 400 is 20; expected ≥ 20


async def test_a_pin_wins_until_unpinned_and_a_reset_forgets_the_guilds_ratings(
    db, presets
) -> None:
    await presets.pin(GUILD, "wild", by=7)
    assert await _picks(presets, GUILD, 30) == Counter({"wild": 30})
    overview = await presets.overview(GUILD)
    assert overview.pinned == "wild" and "Pinned by an admin: wild" in overview.describe()
    assert [s.share for s in overview.standings] == [0.0, 0.0, 1.0]
    with pytest.raises(InvalidRequest, match="no preset 'loud'"):
        await presets.pin(GUILD, "loud", by=7)
    await presets.pin(GUILD, None, by=7)
    assert len(await _picks(presets, GUILD, 60)) == 3

    await _rated(db, GUILD, "calm", 2, 3)
    await _rated(db, OTHER, "calm", 4)
    await presets.reset(GUILD, by=7)
    await _rated(db, GUILD, "calm", 5)
    calm = (await presets.overview(GUILD)).standings[0]
    assert (calm.own.ratings, calm.own.mean, calm.pooled.ratings) == (1, 5.0, 1)
    assert (await presets.overview(OTHER)).standings[0].pooled.ratings == 1  # gone from the pool
    assert (await db.preset_state(GUILD)).pinned is None


async def test_the_console_and_direct_messages_learn_on_their_own(db, presets) -> None:
    for _ in range(30):
        await _rated(db, None, "balanced", 5)
    mine = (await presets.overview(None)).standings[1]
    theirs = (await presets.overview(GUILD)).standings[1]
    assert (mine.own.ratings, theirs.own.ratings, theirs.pooled.ratings) == (30, 0, 30)


async def test_simulated_raters_who_prefer_one_preset_by_a_star_win_it_80_percent(
    db, presets
) -> None:
    """300 picks each rated once, noisily (σ = 1 star, rounded, clipped to 1–5), by raters
    whose mean is 4 for `balanced` and 3 for the others: then ≥ 80 % of new picks are it."""
    taste = {"calm": 3.0, "balanced": 4.0, "wild": 3.0}
    noise = Random(12)
    for i in range(300):
        chosen = await presets.choose(LyricsRequest(seed="s", guild_id=GUILD, rng_seed=i))
        assert chosen.preset is not None
        score = min(5, max(1, round(noise.gauss(taste[chosen.preset], 1.0))))
        await _rated(db, GUILD, chosen.preset, score)
    standings = {s.preset.name: s for s in (await presets.overview(GUILD)).standings}
    assert standings["balanced"].share >= 0.8
    picks = await _picks(presets, GUILD, 300)
    assert picks["balanced"] >= 0.8 * 300, picks
