"""Per-epoch metrics and the run folder's metrics files (CSV for spreadsheets, JSON for code)."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

METRICS_CSV = "metrics.csv"
METRICS_JSON = "metrics.json"


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int
    step: int
    train_loss: float
    val_loss: float
    val_perplexity: float
    val_bpc: float | None
    lr: float
    tokens_per_s: float
    epoch_seconds: float
    # val_loss is the served weights': the better of the raw weights' (val_loss_raw) and the
    # averaged weights' (val_loss_averaged; None when not averaging). Both None in runs
    # recorded before averaging existed.
    val_loss_raw: float | None = None
    val_loss_averaged: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_history(out_dir: Path, history: list[EpochMetrics]) -> None:
    rows = [m.to_dict() for m in history]
    _write_atomic(out_dir / METRICS_JSON, json.dumps(rows, indent=2) + "\n")
    tmp = out_dir / f".{METRICS_CSV}.tmp"
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(EpochMetrics)])
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out_dir / METRICS_CSV)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
