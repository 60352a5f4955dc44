"""The evaluation behind /stats's chart and the report: groups, intervals, U tests, the PNG."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from matplotlib.image import imread

from bot.services.evaluation import load_evaluation
from bot.services.plots import ratings_over_time_png, ratings_png
from bot.services.significance import mann_whitney, mean_ci95, t_quantile_975
from bot.storage import Database, NewGeneration

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def rate(db: Database, model: str, params: dict, scores: list[int], guild: int = 1) -> int:
    """Log one answer through the real storage API and have ``len(scores)`` people rate it."""
    generation_id = await db.record_generation(
        NewGeneration(source="discord", guild_id=guild, seed="we drift", params=params,
                      model_version=model, status="ok", output="we drift\nalong the shore")
    )  # fmt: skip
    for user, score in enumerate(scores, start=1):
        await db.set_rating(generation_id, user, score)
    return generation_id


@pytest.fixture
async def db(tmp_path: Path):
    async with await Database.open(tmp_path / "lyricbot.db") as database:
        await rate(database, "v0001", {"temperature": 0.5, "scheme": None}, [2, 3, 2])
        await rate(database, "v0002", {"temperature": 0.9, "scheme": "ABAB"}, [5, 4, 5, 4])
        await rate(database, "v0002", {"temperature": 1.6, "scheme": "AABB"}, [1])
        await rate(database, "v0001", {"temperature": 0.9}, [], guild=2)
        yield database


async def test_groups_means_and_intervals(db: Database) -> None:
    evaluation = await load_evaluation(db, None)
    assert evaluation.overall.counts == (1, 2, 1, 2, 2)
    assert [(g.key, g.ratings) for g in evaluation.by_model_version] == [
        ("v0001", 3), ("v0002", 5)
    ]  # fmt: skip
    assert [g.key for g in evaluation.by_temperature_band] == ["0.5-0.8", "0.8-1.1", ">=1.5"]
    assert [g.key for g in evaluation.by_scheme] == ["AABB", "ABAB", "free"]
    v1 = evaluation.by_model_version[0]
    assert v1.mean == pytest.approx(7 / 3)
    low, high = mean_ci95({2: 2, 3: 1})  # mean 2.33, sd 0.577, t(2) = 4.303: ± 1.434
    assert low == pytest.approx(7 / 3 - 1.434, abs=1e-3)
    assert high == pytest.approx(7 / 3 + 1.434, abs=1e-3)
    assert v1.ci95 == (1.0, pytest.approx(high))  # a mean rating cannot fall below 1
    assert evaluation.by_scheme[0].ci95 is None  # one rating: no interval


def test_t_quantiles_from_the_table_and_beyond() -> None:
    assert t_quantile_975(1) == 12.706
    assert t_quantile_975(60) == pytest.approx(2.0003, abs=1e-4)
    assert t_quantile_975(1000) == pytest.approx(1.9623, abs=1e-4)
    assert mean_ci95({4: 1}) is None


def test_mann_whitney_on_a_known_case() -> None:
    """scipy's documentation example: males vs females, U = 17; its asymptotic p is 0.1113."""
    males = {19: 1, 22: 1, 16: 1, 29: 1, 24: 1}
    females = {20: 1, 11: 1, 17: 1, 12: 1}
    test = mann_whitney(males, females)
    assert test is not None
    assert test.u == 17
    assert test.p_value == pytest.approx(0.11134688653314041, rel=1e-9)


def test_mann_whitney_with_ties_and_edges() -> None:
    # 1,2,2,3 vs 3,4,4,5: mid-ranks 1, 2.5, 2.5, 4.5 → U = 0.5; σ² = 16/12·(9 − 18/56) = 11.571,
    # z = (|0.5 − 8| − 0.5) / 3.4017 = 2.0578, p = 2·(1 − Φ(z)) = 0.0396
    test = mann_whitney({1: 1, 2: 2, 3: 1}, {3: 1, 4: 2, 5: 1})
    assert test is not None and test.u == 0.5
    assert test.p_value == pytest.approx(0.0396, abs=1e-4)
    assert mann_whitney({3: 4}, {3: 2}).p_value == 1.0  # type: ignore[union-attr]
    assert mann_whitney({3: 4}, {}) is None


async def test_comparisons_pair_every_model(db: Database) -> None:
    (comparison,) = (await load_evaluation(db, None)).model_comparisons()
    assert (comparison.first.key, comparison.second.key) == ("v0001", "v0002")
    # 2,3,2 against 5,4,5,4,1: a clear gap, but too few ratings to call it significant
    assert comparison.test is not None and comparison.test.u == 3.0
    assert 0.2 < comparison.test.p_value < 0.25


async def test_one_guild_only(db: Database) -> None:
    evaluation = await load_evaluation(db, 2)
    assert evaluation.overall.ratings == 0 and evaluation.by_model_version == ()


async def test_ratings_chart_is_a_png_of_the_groups(db: Database) -> None:
    png = ratings_png(await load_evaluation(db, None))
    assert png.startswith(PNG_MAGIC)
    pixels = imread(io.BytesIO(png))
    assert pixels.shape[:2] == (700, 1000)
    assert pixels.std() > 0.05  # drawn on, not a blank canvas
    empty = ratings_png(await load_evaluation(db, 2))
    assert empty.startswith(PNG_MAGIC)


async def test_ratings_over_time_chart(db: Database) -> None:
    days = await db.ratings_by_day(None)
    assert len(days) == 1 and days[0].ratings == 8
    assert ratings_over_time_png(days).startswith(PNG_MAGIC)
    assert ratings_over_time_png([]).startswith(PNG_MAGIC)
