"""The worker reports on stdout, one JSON object a line, so the bot can follow a training run
in another process without sharing memory with it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Progress:
    epoch: int
    epochs: int
    train_loss: float
    val_loss: float
    eta_seconds: float | None


@dataclass(frozen=True)
class Verdict:
    candidate_bpc: float
    serving_bpc: float | None
    best_val_loss: float
    epochs_run: int
    stopped: str


def encode(kind: str, payload: Any) -> str:
    return json.dumps({"event": kind, **asdict(payload)})


def decode(line: str) -> Progress | Verdict | None:
    """Returns None for anything that is not one of our events (a stray library print)."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.pop("event", None)
    try:
        if kind == "progress":
            return Progress(**data)
        if kind == "verdict":
            return Verdict(**data)
    except TypeError:
        return None
    return None
