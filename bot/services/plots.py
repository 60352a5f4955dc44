"""Charts as PNGs: a model's loss curve for /model, the ratings for /stats and the report.

Every chart uses matplotlib's object API (a ``Figure`` with the Agg canvas, no pyplot state),
so it is safe to draw from worker threads.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.services.evaluation import SCORES, Evaluation, RatingGroup
from bot.storage import DailyRatings


def loss_curve_png(metrics: Sequence[Mapping[str, Any]], title: str) -> bytes:
    """Training and validation loss per epoch; for a run with averaged weights, the raw and
    the averaged weights' validation losses too (the served one is the lower)."""
    epochs = [m["epoch"] for m in metrics]
    figure = Figure(figsize=(6, 3.5), dpi=100)
    axes = figure.subplots()
    axes.plot(epochs, [m["train_loss"] for m in metrics], label="training", marker=".")
    axes.plot(epochs, [m["val_loss"] for m in metrics], label="validation", marker=".")
    averaged = [_or_nan(m.get("val_loss_averaged")) for m in metrics]
    if not all(math.isnan(a) for a in averaged):
        raw = [_or_nan(m.get("val_loss_raw")) for m in metrics]
        axes.plot(epochs, raw, label="validation, raw weights", linestyle=":")
        axes.plot(
            epochs, averaged, label="validation, averaged weights", linestyle="--", marker="."
        )
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss (nats/token)")
    axes.set_title(title)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)
    axes.legend()
    return _png(figure)


def _or_nan(value: Any) -> float:
    """A missing point (no average yet that epoch) is a gap in the line."""
    return float("nan") if value is None else float(value)


def ratings_png(evaluation: Evaluation) -> bytes:
    """Mean rating with its 95 % interval by model version, temperature band and rhyme
    scheme, beside the 1–5 distribution: one picture of what raters prefer."""
    figure = Figure(figsize=(10, 7), dpi=100)
    (models, bands), (schemes, spread) = figure.subplots(2, 2)
    _means(models, "by model version", evaluation.by_model_version)
    _means(bands, "by temperature", evaluation.by_temperature_band)
    _means(schemes, "by rhyme scheme", evaluation.by_scheme)
    spread.bar([str(s) for s in SCORES], evaluation.overall.counts, color="tab:blue")
    spread.set_title(f"rating distribution ({evaluation.overall.ratings} ratings)")
    spread.set_xlabel("rating")
    spread.set_ylabel("ratings")
    spread.yaxis.set_major_locator(MaxNLocator(integer=True))
    spread.grid(alpha=0.3, axis="y")
    figure.suptitle("Mean rating, 95 % confidence interval")
    return _png(figure)


def _means(axes: Axes, title: str, groups: Sequence[RatingGroup]) -> None:
    """One point per group at its mean, the interval as error bars (none below 2 ratings)."""
    axes.set_title(title)
    axes.set_ylim(0.5, 5.5)
    axes.set_ylabel("mean rating")
    axes.grid(alpha=0.3, axis="y")
    if not groups:
        axes.text(0.5, 0.5, "no ratings yet", ha="center", va="center", transform=axes.transAxes)
        axes.set_xticks([])
        return
    means = [g.mean or 0.0 for g in groups]
    below = [m - g.ci95[0] if g.ci95 else 0.0 for m, g in zip(means, groups, strict=True)]
    above = [g.ci95[1] - m if g.ci95 else 0.0 for m, g in zip(means, groups, strict=True)]
    positions = range(len(groups))
    axes.errorbar(positions, means, yerr=[below, above], fmt="o", capsize=5, color="tab:blue")
    axes.set_xticks(list(positions), [f"{g.key}\nn={g.ratings}" for g in groups], fontsize=8)
    axes.set_xlim(-0.5, len(groups) - 0.5)


def ratings_over_time_png(days: Sequence[DailyRatings]) -> bytes:
    """Mean rating per UTC day, with how many ratings each day had."""
    figure = Figure(figsize=(10, 3.5), dpi=100)
    axes = figure.subplots()
    axes.set_title("ratings over time (UTC days)")
    axes.set_ylim(0.5, 5.5)
    axes.set_ylabel("mean rating")
    axes.grid(alpha=0.3)
    if days:
        labels = [d.day for d in days]
        axes.plot(labels, [d.mean for d in days], marker="o", color="tab:blue")
        for label, day in zip(labels, days, strict=True):
            axes.annotate(f"n={day.ratings}", (label, day.mean), textcoords="offset points",
                          xytext=(0, 8), ha="center", fontsize=8)  # fmt: skip
        axes.tick_params(axis="x", labelrotation=30, labelsize=8)
    else:
        axes.text(0.5, 0.5, "no ratings yet", ha="center", va="center", transform=axes.transAxes)
    return _png(figure)


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
