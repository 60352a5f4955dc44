"""An averaged copy of the model's weights, validated and served in place of the raw ones.

Weights averaged over the last stretch of training sit nearer the middle of the valley the
optimiser wanders in, and generalise better than the last step's (NT-ASGD in AWD-LSTM; EMA and
SWA are its modern forms). At a fixed time budget the learning rate has often not decayed when
time is up, which is where averaging helps most.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from lyriccore.config import Average


class WeightAverage:
    """EMA (`decay`) or plain running mean of a model's parameters, one update per step."""

    def __init__(self, model: nn.Module, kind: Average, decay: float) -> None:
        self.params = list(model.parameters())  # tied weights appear once
        self.kind, self.decay = kind, decay
        self.count = 0
        self.averaged = [p.detach().clone() for p in self.params]

    def update(self) -> None:
        """Fold the current weights in with weight 1/n (the mean), or for the EMA
        max(1 − decay, 10/(n + 9)): until the decay's horizon is reached it averages about the
        last tenth of the steps so far. A plain 1/n warm-up kept the random start in the
        average for hundreds of steps (0.26 nats/char behind the raw weights after 11 epochs
        of the starter corpus)."""
        self.count += 1
        weight = 1.0 / self.count
        if self.kind == "ema":
            weight = max(1.0 - self.decay, min(1.0, 10.0 / (self.count + 9)))
        with torch.no_grad():
            torch._foreach_lerp_(self.averaged, [p.detach() for p in self.params], weight)

    @contextlib.contextmanager
    def swapped_in(self) -> Iterator[None]:
        """Run the block with the averaged weights in the model, then put the raw ones back
        (before the first update there is no average yet: the raw weights stay)."""
        if self.count == 0:
            yield
            return
        raw = [p.detach().clone() for p in self.params]
        with torch.no_grad():
            torch._foreach_copy_([p.data for p in self.params], self.averaged)
        try:
            yield
        finally:
            with torch.no_grad():
                torch._foreach_copy_([p.data for p in self.params], raw)

    def state_dict(self) -> dict[str, Any]:
        return {"count": self.count, "averaged": [a.cpu() for a in self.averaged]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.count = state["count"]
        for mine, saved in zip(self.averaged, state["averaged"], strict=True):
            mine.copy_(saved)
