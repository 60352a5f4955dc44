"""Which step serves a model: the fp32 numpy reference, or int8 weights through onnxruntime.

`weights="auto"` (the default everywhere) serves int8 weights where they win on measurement
and fp32 where they do not: a small model's step is a few microseconds of arithmetic and the
int8 graph's fixed cost (one onnxruntime call, its quantised activations) is not repaid
(bench/README.md "Serving weights"). The choice depends on the model alone, never on timing or
on the batch, so a seed writes the same text on every restart and in any company; a request's
text does depend on which weights served it, which is why `weights` is a setting, not a guess.
"""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np
import torch

from lyriccore.cpu_lstm import CpuLSTM, CpuState
from lyriccore.errors import ConfigError
from lyriccore.model import LyricsLSTM
from lyriccore.ort_step import OrtStep
from lyriccore.step_graph import step_graph

SERVING_WEIGHTS = ("auto", "fp32", "int8")
INT8_FROM_HIDDEN = 256  # int8 wins or ties from 2×256 up; at 2×64 it was 2× slower (bench/)
WARMUP_ROWS = (1, 8)


class StepModel(Protocol):
    """One token per row in, next-token logits out; the state (a CpuState) updated in place."""

    vocab: int

    def initial_state(self, rows: int) -> CpuState: ...

    def step(self, tokens: np.ndarray, state: CpuState) -> np.ndarray: ...


def resolve_weights(model: LyricsLSTM, weights: str) -> str:
    """The weights `weights` stands for with this model: "fp32" or "int8"."""
    if weights not in SERVING_WEIGHTS:
        raise ConfigError(f"serving weights are {', '.join(SERVING_WEIGHTS)}, not {weights!r}")
    if weights != "auto":
        return weights
    return "int8" if model.config.hidden_size >= INT8_FROM_HIDDEN else "fp32"


def serving_step(model: LyricsLSTM, weights: str = "auto") -> StepModel:
    """The step that serves `model`, warmed up (see `warm_up`)."""
    cpu = CpuLSTM(model)
    chosen: StepModel = cpu
    if resolve_weights(model, weights) == "int8":
        chosen = OrtStep(step_graph(cpu, "int8"))
    warm_up(chosen, model)
    return chosen


def warm_up(step: StepModel, model: LyricsLSTM) -> float:
    """Run a few steps at the row counts serving sees, and the torch model over a short seed,
    so that the first request does not pay for first-call allocations and kernel choices
    (measured in `python -m bench startup`); returns the seconds it took."""
    started = time.perf_counter()
    for rows in WARMUP_ROWS:
        state, tokens = step.initial_state(rows), np.zeros(rows, np.int64)
        for _ in range(2):
            step.step(tokens, state)
    with torch.inference_mode():
        model(torch.zeros((1, 8), dtype=torch.long))
    return time.perf_counter() - started
