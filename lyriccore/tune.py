"""`lyriccore tune`: short trials of a recipe's variants, each under the same time budget, on
one corpus's validation split, so an operator can choose settings for their own corpus.

A trial is a set of TrainConfig overrides (`weight_drop=0.2,average=ema`); each one trains
from scratch into a scratch folder, and the table ranks them by best validation loss. Trials
run one after another, so each has the machine to itself (as much as the machine allows).
"""

from __future__ import annotations

import json
import statistics
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus
from lyriccore.errors import ConfigError
from lyriccore.trainer import train

# The recipe's own defaults, then each regulariser alone, then them together.
DEFAULT_TRIALS = (
    "",
    "average=ema",
    "weight_drop=0.2",
    "embed_dropout=0.05",
    "input_dropout=0.1",
    "ar=2,tar=1",
    "vary_seq_len=true",
    "weight_drop=0.2,input_dropout=0.1,embed_dropout=0.05,ar=2,tar=1,vary_seq_len=true",
)


@dataclass(frozen=True)
class TrialResult:
    """A trial's best validation loss (of the served weights), and the best of its raw and of
    its averaged weights apart, so the table shows what averaging brought."""

    trial: str
    best_val_loss: float
    best_raw: float
    best_averaged: float | None
    epochs: int
    seconds_per_epoch: float
    stopped: str


def parse_trial(spec: str) -> dict[str, Any]:
    """'weight_drop=0.2,average=ema' → {'weight_drop': 0.2, 'average': 'ema'}; values are
    read as JSON (numbers, true/false), anything else as a string; names must be fields."""
    known = {f.name for f in fields(TrainConfig)}
    overrides: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, text = item.partition("=")
        if not sep or name not in known:
            raise ConfigError(f"trial {spec!r}: {item!r} is not NAME=VALUE of a TrainConfig field")
        try:
            overrides[name] = json.loads(text)
        except json.JSONDecodeError:
            overrides[name] = text
    return overrides


def run_trial(
    corpus: Corpus, base: TrainConfig, spec: str, minutes: float, out: Path
) -> TrialResult:
    """Train one variant for `minutes` and summarise its run."""
    config = TrainConfig.from_dict({**base.to_dict(), **parse_trial(spec), "max_minutes": minutes})
    result = train(corpus, config, out, progress=False)
    history = result.history
    averaged = [m.val_loss_averaged for m in history if m.val_loss_averaged is not None]
    return TrialResult(
        trial=spec or "(defaults)",
        best_val_loss=result.best_val_loss,
        best_raw=min(m.val_loss_raw or m.val_loss for m in history),
        best_averaged=min(averaged, default=None),
        epochs=result.epochs_run,
        seconds_per_epoch=statistics.median(m.epoch_seconds for m in history),
        stopped=result.stopped,
    )


def run_trials(
    corpus: Corpus, base: TrainConfig, specs: list[str], minutes: float
) -> list[TrialResult]:
    """Every trial (checked up front, so a typo fails before an hour of training), best first."""
    for spec in specs:
        TrainConfig.from_dict({**base.to_dict(), **parse_trial(spec)}).resolved()
    with tempfile.TemporaryDirectory(prefix="lyriccore-tune-") as scratch:
        results = [
            run_trial(corpus, base, spec, minutes, Path(scratch) / f"trial{n}")
            for n, spec in enumerate(specs)
        ]
    return sorted(results, key=lambda r: r.best_val_loss)


def format_table(results: list[TrialResult]) -> str:
    lines = [
        f"{'val loss':>9}  {'raw':>7}  {'averaged':>8}  {'epochs':>6}  {'s/epoch':>8}  "
        f"{'stopped':<14}  trial"
    ]
    for r in results:
        averaged = "-" if r.best_averaged is None else f"{r.best_averaged:.4f}"
        lines.append(
            f"{r.best_val_loss:9.4f}  {r.best_raw:7.4f}  {averaged:>8}  {r.epochs:6d}  "
            f"{r.seconds_per_epoch:8.1f}  {r.stopped:<14}  {r.trial}"
        )
    return "\n".join(lines)


def results_json(results: list[TrialResult]) -> str:
    return json.dumps([asdict(r) for r in results], indent=2)
