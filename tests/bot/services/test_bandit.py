"""The bandit's arithmetic: ratings as fractional successes, the capped pool, the floor."""

from random import Random

import pytest

from bot.services.bandit import Beta, RatingSums, choose, pick_shares, posterior


def test_a_rating_is_a_fractional_success_and_the_pool_is_capped() -> None:
    assert posterior(RatingSums(), RatingSums()) == Beta(1.0, 1.0)
    assert posterior(RatingSums(2, 4 + 2), RatingSums()) == Beta(1.0 + 1.0, 1.0 + 1.0)
    assert posterior(RatingSums(1, 5), RatingSums()).mean_score == pytest.approx(1 + 4 * 2 / 3)
    pooled = posterior(RatingSums(), RatingSums(100, 500), pool_cap=10)
    assert pooled == Beta(1.0 + 10.0, 1.0)  # 100 fives count as 10
    few = posterior(RatingSums(), RatingSums(4, 4), pool_cap=10)
    assert few == Beta(1.0, 1.0 + 4.0)  # below the cap, at full weight


def test_shares_keep_the_floor_and_sum_to_one() -> None:
    sure = {"a": Beta(500, 1), "b": Beta(1, 500), "c": Beta(1, 500)}
    shares = pick_shares(sure, floor=0.05)
    assert shares["b"] == shares["c"] == pytest.approx(0.05)
    assert shares["a"] == pytest.approx(0.9) and sum(shares.values()) == pytest.approx(1)
    rng = Random(3)
    picks = [choose(sure, rng, floor=0.05) for _ in range(2000)]
    assert 0.85 < picks.count("a") / 2000 < 0.95 and picks.count("b") > 50
