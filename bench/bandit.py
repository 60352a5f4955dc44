"""The preset bandit under simulated raters: how fast it finds the preset people prefer.

Synthetic raters like one preset ("balanced") a star better than the others (mean 4 against
3) and rate noisily: a normal draw with σ = 1 star around their mean, rounded and clipped to
1–5. Each run is one new guild with no pool, one rating per pick, and uses the bot's own
posterior, pick and share functions (bot/services/bandit.py); only storage is left out.
Reported, averaged over the runs: the cumulative regret (expected stars lost against always
picking the best preset) every 25 ratings, beside what the exploration floor alone costs; and
per checkpoint the best preset's exact pick share and how many runs have it at 80 % or more;
plus a PNG of both curves.
"""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path
from random import Random
from typing import Any

from matplotlib.figure import Figure

from bench.common import Sizes
from bot.services.bandit import FLOOR, RatingSums, choose, pick_shares, posterior
from bot.services.presets import PRESETS

log = logging.getLogger(__name__)
BEST = "balanced"
TASTE = {p.name: 4.0 if p.name == BEST else 3.0 for p in PRESETS}
NOISE = 1.0
CHECKPOINTS = (25, 50, 100, 200, 300, 500, 1000)
REGRET_EVERY = 25
SHARE_DRAWS = 1000  # per checkpoint and run: ±1.6 points at worst, averaged over the runs


def bandit(sizes: Sizes, plot: Path) -> dict[str, Any]:
    started = time.perf_counter()
    means = {name: _expected_rating(mean) for name, mean in TASTE.items()}
    checkpoints = [c for c in CHECKPOINTS if c <= sizes.bandit_picks]
    runs = [_run(seed, sizes.bandit_picks, checkpoints, means) for seed in range(sizes.bandit_runs)]
    log.info("bandit: %d runs of %d rated picks", sizes.bandit_runs, sizes.bandit_picks)
    floor_cost = FLOOR * sum(means[BEST] - m for m in means.values())  # stars per pick
    regret = [
        {
            "ratings": (i + 1) * REGRET_EVERY,
            "regret_stars": statistics.fmean(regrets[i] for regrets, _ in runs),
            "floor_alone_stars": floor_cost * (i + 1) * REGRET_EVERY,
        }
        for i in range(sizes.bandit_picks // REGRET_EVERY)
    ]
    curve = [
        {
            "ratings": c,
            "best_share": statistics.fmean(shares[i] for _, shares in runs),
            "runs_best_share_at_least_80pct": sum(shares[i] >= 0.8 for _, shares in runs),
        }
        for i, c in enumerate(checkpoints)
    ]
    _plot(regret, curve, plot)
    return {
        "presets": [p.name for p in PRESETS],
        "rater_means": TASTE,
        "expected_ratings": means,
        "noise_stars": NOISE,
        "floor": FLOOR,
        "runs": sizes.bandit_runs,
        "floor_cost_stars_per_pick": floor_cost,
        "regret": regret,
        "curve": curve,
        "plot": str(plot),
        "seconds": time.perf_counter() - started,
    }


def _rate(rng: Random, mean: float) -> int:
    return min(5, max(1, round(rng.gauss(mean, NOISE))))


def _expected_rating(mean: float, draws: int = 200_000) -> float:
    """The mean rating after rounding and clipping, which is what regret is measured in."""
    rng = Random(1)
    return statistics.fmean(_rate(rng, mean) for _ in range(draws))


def _run(
    seed: int, picks: int, checkpoints: list[int], means: dict[str, float]
) -> tuple[list[float], list[float]]:
    """One guild: its cumulative regret every REGRET_EVERY picks, and the best preset's pick
    share at each checkpoint."""
    rng, raters = Random(seed), Random(10_000 + seed)
    sums = dict.fromkeys(TASTE, RatingSums())
    regret, regrets, shares = 0.0, [], []
    for n in range(1, picks + 1):
        posteriors = {name: posterior(s, RatingSums()) for name, s in sums.items()}
        name = choose(posteriors, rng)
        regret += means[BEST] - means[name]
        sums[name] += RatingSums(1, _rate(raters, TASTE[name]))
        if n % REGRET_EVERY == 0:
            regrets.append(regret)
        if n in checkpoints:
            after = {name: posterior(s, RatingSums()) for name, s in sums.items()}
            shares.append(pick_shares(after, draws=SHARE_DRAWS)[BEST])
    return regrets, shares


def _plot(regret: list[dict[str, Any]], curve: list[dict[str, Any]], path: Path) -> None:
    figure = Figure(figsize=(8, 3.5), dpi=100)
    regret_axes, share_axes = figure.subplots(1, 2)
    ratings = [r["ratings"] for r in regret]
    regret_axes.plot(ratings, [r["regret_stars"] for r in regret], label="bandit")
    floor = [r["floor_alone_stars"] for r in regret]
    regret_axes.plot(ratings, floor, linestyle="--", label="the floor alone")
    regret_axes.set_xlabel("ratings")
    regret_axes.set_ylabel("cumulative regret (stars)")
    regret_axes.legend()
    share_axes.plot([c["ratings"] for c in curve], [c["best_share"] for c in curve], marker=".")
    share_axes.axhline(0.8, color="grey", linestyle="--", linewidth=1)
    share_axes.set_ylim(0, 1)
    share_axes.set_xscale("log")
    share_axes.set_xlabel("ratings")
    share_axes.set_ylabel(f"pick share of {BEST}")
    for axes in (regret_axes, share_axes):
        axes.grid(alpha=0.3)
    figure.suptitle("Preset bandit: raters prefer one preset by one star")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
