"""Held-out styles: train on the folk ballads, score on text in another style.

A community's corpus is small and its users' seeds are off-corpus, so a model must do well
beyond its own validation tail. Each recipe (today's char defaults, and the defaults before the
AWD-LSTM regularisers, issue 15) trains on `folk_ballads_dev.txt` for the same wall-clock
budget; its served `best.pt` is then scored on the trainer's validation tail (ten block tails
of the ballads) and on the last 10 % of tinyshakespeare, a public-domain text in another style.
Both figures are nats per character. The recipes run one after the other, so each records
the CPU other processes took while it trained.
"""

from __future__ import annotations

import logging
from typing import Any

from bench.common import BenchError, Contention, Context, make_corpus
from lyriccore.checkpoint import load_model
from lyriccore.config import REGULARISERS_OFF, TrainConfig
from lyriccore.evaluate import score_text
from lyriccore.trainer import Trainer

log = logging.getLogger(__name__)
BALLADS = "folk_ballads_dev.txt"
# What TrainConfig(level="char") meant before issue 15: no regulariser, no averaging.
BEFORE_ISSUE_15: dict[str, Any] = {**REGULARISERS_OFF, "average": "off"}
RECIPES: dict[str, dict[str, Any]] = {"defaults": {}, "before_issue_15": BEFORE_ISSUE_15}


def cross_style(ctx: Context, minutes: float) -> dict[str, Any]:
    """Each recipe trained on the ballads for `minutes`: validation-tail and cross-style NLL."""
    path = ctx.data_path.parent / BALLADS
    if not path.is_file():
        raise BenchError(f"no {BALLADS} in {path.parent}: pass --data-dir")
    chars = ctx.sizes.quality_chars
    ballads = path.read_text(encoding="utf-8")[:chars]
    other = ctx.text[int(len(ctx.text) * 0.9) :][:chars]
    results = {
        name: _trial(ctx, name, make_corpus(ballads, BALLADS), other, overrides, minutes)
        for name, overrides in RECIPES.items()
    }
    defaults, before = results["defaults"], results["before_issue_15"]
    return {
        "train_on": BALLADS,
        "score_on": f"{ctx.data_path.name}, last 10 %",
        "budget_minutes": minutes,
        "recipes": results,
        "cross_style_gain": before["cross_style_nll"] - defaults["cross_style_nll"],
        "validation_gain": before["validation_nll"] - defaults["validation_nll"],
    }


def _trial(
    ctx: Context, name: str, corpus: Any, other: str, overrides: dict[str, Any], minutes: float
) -> dict[str, Any]:
    config = TrainConfig.from_dict(
        {
            **TrainConfig(level="char").to_dict(),
            **overrides,
            "epochs": ctx.sizes.cross_epochs,
            "max_minutes": minutes,
            "threads": ctx.train_threads,
        }
    )
    watch = Contention()
    trainer = Trainer(corpus, config, ctx.work_dir / f"cross-{name}", progress=False)
    result = trainer.fit()
    contention = watch.report()
    served = load_model(ctx.work_dir / f"cross-{name}")
    score = score_text(served, other)
    log.info("cross-style %s: val %.4f, other style %.4f", name, result.best_val_loss, score.loss)
    return {
        "overrides": overrides,
        "epochs_run": result.epochs_run,
        "stopped": result.stopped,
        "seconds_per_epoch": [m.epoch_seconds for m in result.history],
        "validation_nll": result.best_val_loss,
        "cross_style_nll": score.loss,
        "cross_style_unknown_rate": score.unknown_rate,
        "final_train_loss": result.history[-1].train_loss,
        "contention": contention,
    }
