"""bf16 autocast against fp32: the validation curve of the same run, same data and seed.

`amp="auto"` trains in bf16 on CPUs with native bf16 because these curves match. The gap is
set against fp32's own run-to-run spread (the same run with another seed), so "match" has a
scale: bf16 changes the curve less than a different seed does.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bench.common import Context
from bench.train_speed import CHAR, char_corpus
from lyriccore.config import TrainConfig
from lyriccore.trainer import train

log = logging.getLogger(__name__)
RUNS = {"fp32": ("off", 0), "bf16": ("bf16", 0), "fp32_other_seed": ("off", 1)}


def curves(ctx: Context, plot: Path) -> dict[str, Any]:
    """Per-epoch validation loss of each run in RUNS, the largest gaps, and a plot at `plot`."""
    corpus = char_corpus(ctx)
    base = {**CHAR.to_dict(), "epochs": ctx.sizes.curve_epochs, "val_fraction": 0.1}
    runs: dict[str, list[float]] = {}
    for name, (amp, seed_offset) in RUNS.items():
        log.info("curves: %d epochs, %s", ctx.sizes.curve_epochs, name)
        changes = {"amp": amp, "seed": CHAR.seed + seed_offset, "threads": ctx.train_threads}
        config = TrainConfig.from_dict({**base, **changes})
        result = train(corpus, config, ctx.work_dir / f"curve-{name}", progress=False)
        runs[name] = [m.val_loss for m in result.history]
    figures = {
        "shape": {k: base[k] for k in ("hidden_size", "seq_len", "batch_size", "epochs")},
        "chars": ctx.sizes.char_chars,
        "val_loss": runs,
        "max_gap_bf16_fp32": _max_gap(runs["bf16"], runs["fp32"]),
        "max_gap_fp32_other_seed": _max_gap(runs["fp32_other_seed"], runs["fp32"]),
        "final_gap_bf16_fp32": runs["bf16"][-1] - runs["fp32"][-1],
    }
    figures["plot"] = _plot(runs, plot)
    return figures


def _max_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def _plot(runs: dict[str, list[float]], path: Path) -> str:
    """Draw the curves into a PNG; matplotlib is imported here so other sections never pay
    for it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, losses in runs.items():
        ax.plot(range(1, len(losses) + 1), losses, marker="o", label=name)
    ax.set(xlabel="epoch", ylabel="validation loss (nats/char)", title="fp32 vs bf16 autocast")
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return str(path)
