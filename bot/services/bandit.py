"""Thompson sampling over a few named arms (the presets), on 1–5 ratings, with a floor.

Why a Beta posterior and not a Gaussian one: a rating is bounded, so it is mapped onto [0, 1]
as (score − 1) / 4 and counted as a fractional success: a 4 adds 0.75 to α and 0.25 to β.
That is Beta–Bernoulli Thompson sampling as Agrawal & Goyal (2012) extend it to any reward in
[0, 1], with the same regret bound. It is conjugate and needs two sums per arm (how many
ratings, their total), which SQL gives directly; its draws never leave the rating scale; and
it has no noise variance to guess, where a Gaussian posterior needs one, or must estimate it
from the handful of ratings a new preset has. The Beta assumes Bernoulli noise, the widest any
[0, 1] reward can have, so with real 1–5 ratings its posterior is if anything too wide: it errs
towards exploring, never towards locking in early.

Exploration never stops: a share `floor` of picks per arm is drawn uniformly before Thompson
sampling gets the rest, so a preset that fell behind is still tried now and then and can come
back if tastes (or the model) change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from random import Random

FLOOR = 0.05
"""Each arm's least share of picks, whatever the ratings say."""
POOL_CAP = 10.0
"""Other guilds' ratings of an arm count as at most this many of the guild's own: a new guild
starts from what everyone liked; its own ratings weigh as much after ten, and more soon after."""
SHARE_DRAWS = 4000
"""Monte Carlo draws behind a displayed pick share (±0.8 percentage points at worst)."""


@dataclass(frozen=True)
class RatingSums:
    """The ratings of one arm: how many, and the sum of their 1–5 scores."""

    ratings: int = 0
    score_sum: int = 0

    def __add__(self, other: RatingSums) -> RatingSums:
        return RatingSums(self.ratings + other.ratings, self.score_sum + other.score_sum)

    @property
    def mean(self) -> float | None:
        return self.score_sum / self.ratings if self.ratings else None


@dataclass(frozen=True)
class Beta:
    """The posterior of an arm's mean rating, on the [0, 1] scale."""

    alpha: float
    beta: float

    @property
    def mean_score(self) -> float:
        """The posterior mean back on the 1–5 scale."""
        return 1 + 4 * self.alpha / (self.alpha + self.beta)

    def draw(self, rng: Random) -> float:
        return rng.betavariate(self.alpha, self.beta)


def posterior(own: RatingSums, pooled: RatingSums, pool_cap: float = POOL_CAP) -> Beta:
    """Beta(1, 1), plus the pooled ratings scaled down to at most `pool_cap` ratings' worth,
    plus the arm's own ratings at full weight."""
    weight = min(1.0, pool_cap / pooled.ratings) if pooled.ratings else 0.0
    successes = _successes(own) + weight * _successes(pooled)
    failures = _failures(own) + weight * _failures(pooled)
    return Beta(1.0 + successes, 1.0 + failures)


def _successes(sums: RatingSums) -> float:
    return (sums.score_sum - sums.ratings) / 4  # Σ (score − 1) / 4


def _failures(sums: RatingSums) -> float:
    return (5 * sums.ratings - sums.score_sum) / 4  # Σ (5 − score) / 4


def thompson(posteriors: Mapping[str, Beta], rng: Random) -> str:
    """The arm whose posterior draw is highest (ties: the first listed)."""
    return max(posteriors, key=lambda name: posteriors[name].draw(rng))


def choose(posteriors: Mapping[str, Beta], rng: Random, floor: float = FLOOR) -> str:
    """One pick: uniform with probability `floor` per arm, Thompson sampling otherwise."""
    names = list(posteriors)
    if rng.random() < floor * len(names):
        return rng.choice(names)
    return thompson(posteriors, rng)


def pick_shares(
    posteriors: Mapping[str, Beta], floor: float = FLOOR, draws: int = SHARE_DRAWS
) -> dict[str, float]:
    """How often `choose` would pick each arm now: the floor plus Thompson sampling's win
    rate, estimated from a fixed-seed sample so the same ratings always show the same share."""
    rng = Random(0)
    wins = Counter(thompson(posteriors, rng) for _ in range(draws))
    rest = 1.0 - floor * len(posteriors)
    return {name: floor + rest * wins[name] / draws for name in posteriors}
