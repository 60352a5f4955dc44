"""The /stats report: totals, per model version and per temperature band, per guild."""

from __future__ import annotations

import math

import pytest

from bot.storage import Database, GroupStats, StatsReport, temperature_band

GUILD_A, GUILD_B = 111, 222


@pytest.fixture
async def logged(db: Database, make_generation) -> Database:
    """Seven generations across two guilds, two models and every band, with ratings."""
    rows = [
        # (guild, model, params, scores)
        (GUILD_A, "lstm-v1", {"temperature": 0.3}, [5, 4]),
        (GUILD_A, "lstm-v1", {"temperature": 0.9}, [2]),
        (GUILD_A, "lstm-v2", {"temperature": 0.8}, [3, 3, 3]),
        (GUILD_A, "lstm-v2", {"temperature": 1.5}, []),
        (GUILD_B, "lstm-v2", {"temperature": 1.2}, [1]),
        (GUILD_B, "lstm-v1", {"top_k": 10}, []),
        (GUILD_A, "lstm-v1", {"temperature": 0.9}, [4]),
    ]
    for guild, model, params, scores in rows:
        generation_id = await db.record_generation(
            make_generation(guild_id=guild, model_version=model, params=params)
        )
        for user, score in enumerate(scores):
            await db.set_rating(generation_id, user, score)
    return db


async def test_stats_for_all_guilds(logged: Database) -> None:
    report = await logged.stats(None)
    assert report.guild_id is None
    assert (report.total_generations, report.total_ratings) == (7, 8)
    assert report.mean_rating == pytest.approx(25 / 8)
    assert report.by_model_version == (
        GroupStats("lstm-v1", 4, 4, 15 / 4),
        GroupStats("lstm-v2", 3, 4, 10 / 4),
    )
    assert report.by_temperature_band == (
        GroupStats("<0.5", 1, 2, 4.5),
        GroupStats("0.5-0.8", 0, 0, None),
        GroupStats("0.8-1.1", 3, 5, 3.0),
        GroupStats("1.1-1.5", 1, 1, 1.0),
        GroupStats(">=1.5", 1, 0, None),
        GroupStats("unknown", 1, 0, None),
    )


async def test_stats_for_one_guild(logged: Database) -> None:
    report = await logged.stats(GUILD_A)
    assert report.guild_id == GUILD_A
    assert (report.total_generations, report.total_ratings) == (5, 7)
    assert report.mean_rating == pytest.approx(24 / 7)
    assert report.by_model_version == (
        GroupStats("lstm-v1", 3, 4, 15 / 4),
        GroupStats("lstm-v2", 2, 3, 3.0),
    )
    assert [band.key for band in report.by_temperature_band] == [
        "<0.5",
        "0.5-0.8",
        "0.8-1.1",
        "1.1-1.5",
        ">=1.5",
    ]
    assert report.by_temperature_band[2] == GroupStats("0.8-1.1", 3, 5, 3.0)


async def test_stats_on_an_empty_log(db: Database) -> None:
    report = await db.stats(None)
    assert (report.total_generations, report.total_ratings, report.mean_rating) == (0, 0, None)
    assert report.by_model_version == ()
    assert all(band.generations == 0 for band in report.by_temperature_band)
    empty_bands = report.by_temperature_band
    assert await db.stats(GUILD_A) == StatsReport(GUILD_A, 0, 0, None, (), empty_bands)


@pytest.mark.parametrize(
    ("temperature", "band"),
    [
        (0, "<0.5"),
        (0.49, "<0.5"),
        (0.5, "0.5-0.8"),
        (0.8, "0.8-1.1"),
        (1, "0.8-1.1"),
        (1.1, "1.1-1.5"),
        (1.5, ">=1.5"),
        (3.0, ">=1.5"),
        (None, "unknown"),
        ("hot", "unknown"),
        (True, "unknown"),
        (math.nan, "unknown"),
    ],
)
def test_temperature_bands_include_their_lower_edge(temperature: object, band: str) -> None:
    assert temperature_band(temperature) == band
