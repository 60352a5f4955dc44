"""The preset bandit's storage: ratings summed per preset, own guild apart; pins and resets."""

from bot.storage import NO_GUILD, PresetRatings, PresetState

GUILD, OTHER = 1_100_000_000_000_000_001, 1_100_000_000_000_000_002


async def _rated(db, make_generation, guild, params, *scores) -> None:
    generation_id = await db.record_generation(make_generation(guild_id=guild, params=params))
    for user, score in enumerate(scores):
        await db.set_rating(generation_id, user, score)


async def test_ratings_are_summed_per_preset_with_the_guild_apart(db, make_generation) -> None:
    await _rated(db, make_generation, GUILD, {"preset": "calm"}, 4, 5)
    await _rated(db, make_generation, OTHER, {"preset": "calm"}, 2)
    await _rated(db, make_generation, None, {"preset": "wild"}, 3)
    await _rated(db, make_generation, GUILD, {"temperature": 0.7}, 1)  # no preset: left out
    assert await db.preset_ratings(GUILD) == [
        PresetRatings("calm", own=False, ratings=1, score_sum=2),
        PresetRatings("wild", own=False, ratings=1, score_sum=3),
        PresetRatings("calm", own=True, ratings=2, score_sum=9),
    ]
    mine = [r for r in await db.preset_ratings(NO_GUILD) if r.own]
    assert mine == [PresetRatings("wild", own=True, ratings=1, score_sum=3)]


async def test_pins_and_resets_are_kept_per_guild(db, make_generation) -> None:
    assert await db.preset_state(GUILD) == PresetState(None, None)
    await db.pin_preset(GUILD, "wild", by=7)
    await _rated(db, make_generation, GUILD, {"preset": "calm"}, 4)
    await db.reset_presets(GUILD, by=7)
    state = await db.preset_state(GUILD)
    assert state.pinned == "wild" and state.reset_at is not None
    assert await db.preset_ratings(GUILD) == []  # made before the reset
    await db.pin_preset(GUILD, None, by=7)
    assert await db.preset_state(GUILD) == PresetState(None, state.reset_at)
    assert await db.preset_state(OTHER) == PresetState(None, None)
