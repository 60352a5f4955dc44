"""The preset bandit under simulated raters: how fast it finds the preset people prefer.

Synthetic raters like one preset ("balanced") a star better than the others (mean 4 against
3) and rate noisily: a normal draw with σ = 1 star around their mean, rounded and clipped to
1–5. Each run is one new guild with no pool, one rating per pick, and uses the bot's own
posterior, pick and share functions (bot/services/bandit.py); only storage is left out.
Reported per checkpoint, averaged over the runs: the cumulative regret (expected stars lost
against always picking the best preset), the exact pick share of the best preset, and how many
runs have it at 80 % or more; plus a PNG of the curves.
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
SHARE_DRAWS = 1000  # per checkpoint and run: ±1.6 points at worst, averaged over the runs


def bandit(sizes: Sizes, plot: Path) -> dict[str, Any]:
    started = time.perf_counter()
    means = {name: _expected_rating(mean) for name, mean in TASTE.items()}
    checkpoints = [c for c in CHECKPOINTS if c <= sizes.bandit_picks]
    runs = [_run(seed, sizes.bandit_picks, checkpoints, means) for seed in range(sizes.bandit_runs)]
    log.info("bandit: %d runs of %d rated picks", sizes.bandit_runs, sizes.bandit_picks)
    curve = [
        {
            "ratings": c,
            "regret_stars": statistics.fmean(r[i]["regret"] for r in runs),
            "best_share": statistics.fmean(r[i]["best_share"] for r in runs),
            "runs_best_share_at_least_80pct": sum(r[i]["best_share"] >= 0.8 for r in runs),
        }
        for i, c in enumerate(checkpoints)
    ]
    _plot(curve, plot)
    return {
        "presets": [p.name for p in PRESETS],
        "rater_means": TASTE,
        "expected_ratings": means,
        "noise_stars": NOISE,
        "floor": FLOOR,
        "runs": sizes.bandit_runs,
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
) -> list[dict[str, float]]:
    rng, raters = Random(seed), Random(10_000 + seed)
    sums = dict.fromkeys(TASTE, RatingSums())
    regret, marks = 0.0, []
    for n in range(1, picks + 1):
        posteriors = {name: posterior(s, RatingSums()) for name, s in sums.items()}
        name = choose(posteriors, rng)
        regret += means[BEST] - means[name]
        sums[name] += RatingSums(1, _rate(raters, TASTE[name]))
        if n in checkpoints:
            after = {name: posterior(s, RatingSums()) for name, s in sums.items()}
            share = pick_shares(after, draws=SHARE_DRAWS)[BEST]
            marks.append({"regret": regret, "best_share": share})
    return marks


def _plot(curve: list[dict[str, Any]], path: Path) -> None:
    figure = Figure(figsize=(8, 3.5), dpi=100)
    regret_axes, share_axes = figure.subplots(1, 2)
    ratings = [c["ratings"] for c in curve]
    regret_axes.plot(ratings, [c["regret_stars"] for c in curve], marker=".")
    regret_axes.set_xlabel("ratings")
    regret_axes.set_ylabel("cumulative regret (stars)")
    share_axes.plot(ratings, [c["best_share"] for c in curve], marker=".")
    share_axes.axhline(0.8, color="grey", linestyle="--", linewidth=1)
    share_axes.set_ylim(0, 1)
    share_axes.set_xlabel("ratings")
    share_axes.set_ylabel(f"pick share of {BEST}")
    for axes in (regret_axes, share_axes):
        axes.set_xscale("log")
        axes.grid(alpha=0.3)
    figure.suptitle("Preset bandit: raters prefer one preset by one star")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
