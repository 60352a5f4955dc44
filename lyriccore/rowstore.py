"""Copying one row's model state to others: how best-of-K forks the chosen line's rows.

Both serving paths keep the state of every row of a request — the numpy batch (column-major,
cpu_lstm.py) and the plain torch path (L, N, H) — and both expose it through this one shape,
so the line chooser (lines.py) forks rows the same way on either.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from lyriccore.cpu_lstm import CpuState


class RowStore(Protocol):
    def take(self, row: int) -> object:
        """A copy of `row`'s state and next-token logits."""

    def put(self, rows: range, taken: object) -> None:
        """Write a `take`n row into every row of `rows`."""


class NumpyRows:
    """A request's rows [offset, offset + n) of the batch's numpy state."""

    def __init__(self, state: CpuState, logits: np.ndarray, offset: int) -> None:
        self.state, self.logits, self.offset = state, logits, offset

    def take(self, row: int) -> object:
        at = self.offset + row
        return self.state.h[:, at].copy(), self.state.c[..., at].copy(), self.logits[at].copy()

    def put(self, rows: range, taken: object) -> None:
        h, c, logits = taken  # type: ignore[misc]
        span = slice(self.offset + rows.start, self.offset + rows.stop)
        self.state.h[:, span] = h[:, None]
        self.state.c[..., span] = c[..., None]
        self.logits[span] = logits


class TorchRows:
    """The plain path's rows: a torch (h, c) of (L, N, H) and numpy logits (N, V)."""

    def __init__(self, state: tuple[torch.Tensor, torch.Tensor], logits: np.ndarray) -> None:
        self.state, self.logits = state, logits

    def take(self, row: int) -> object:
        h, c = self.state
        return h[:, row].clone(), c[:, row].clone(), self.logits[row].copy()

    def put(self, rows: range, taken: object) -> None:
        h, c, logits = taken  # type: ignore[misc]
        span = slice(rows.start, rows.stop)
        self.state[0][:, span] = h[:, None]
        self.state[1][:, span] = c[:, None]
        self.logits[span] = logits
