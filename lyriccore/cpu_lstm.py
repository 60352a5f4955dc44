"""The model's generation step in numpy, for serving on the CPU.

A generation step feeds one token per row, and at that size the cost is calls, not arithmetic:
torch spends microseconds dispatching each of the ~30 operations of a step, numpy a fraction of
one. The weights are rearranged once, at load, so a step needs few calls:

- layer 0's input side is folded into a table, one row per token (embedding @ W_ih + both
  biases), so the embedding lookup and a matrix product become a row read (for a character
  vocabulary; a word vocabulary's table would take hundreds of MB, so it keeps the product);
  a model with styles has one row per style and token (its input ids, model.py), so the
  style it reads at every step costs nothing more;
- gate rows are reordered to i, f, o, g and the sigmoid gates scaled by ½, so one tanh over
  all four gates serves both nonlinearities: sigmoid(x) = ½·tanh(x/2) + ½;
- each upper layer's W_ih and W_hh are joined, so one product over [h_below; h] does both.

State is kept column-major, (features, rows): `W @ X` is the fastest product numpy's BLAS
offers here from one row up (bench/README.md), and a layer's input [h_below; h] is then one
contiguous block. The arithmetic is fp32 like the torch model; the two differ by rounding only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lyriccore.model import LyricsLSTM

TABLE_BYTES = 32 * 2**20  # a 2×512 char model with twenty styles: ~16 MB


@dataclass
class CpuState:
    """`h` is (layers·hidden, rows), layer l in rows [l·H, (l+1)·H); `c` is (layers, H, rows);
    `offset` (rows,) is what each row's tokens gain to become the model's input ids: its
    style (`LyricsLSTM.style_offset`), so a batch can mix requests in different styles."""

    h: np.ndarray
    c: np.ndarray
    offset: np.ndarray

    @property
    def rows(self) -> int:
        return int(self.h.shape[1])

    def select(self, keep: np.ndarray) -> CpuState:
        """The rows where `keep` (a mask) is true, as a new state. `np.take` over their
        indices: a mask index was ~5× slower at 128 rows (0.8 against 0.16 ms here)."""
        rows = np.flatnonzero(keep)
        return CpuState(
            np.take(self.h, rows, axis=1), np.take(self.c, rows, axis=2), self.offset[rows]
        )

    def inputs(self, tokens: np.ndarray) -> np.ndarray:
        """The model's input ids for one token per row."""
        return np.asarray(tokens, np.int64) + self.offset

    @staticmethod
    def zeros(layers: int, hidden: int, rows: int) -> CpuState:
        return CpuState(
            np.zeros((layers * hidden, rows), np.float32),
            np.zeros((layers, hidden, rows), np.float32),
            np.zeros(rows, np.int64),
        )

    @staticmethod
    def from_torch(
        state: tuple[torch.Tensor, torch.Tensor], rows: int = 1, offset: int = 0
    ) -> CpuState:
        """Take over a one-row state from the torch model (L, 1, H), e.g. after it read a
        seed, as `rows` copies whose tokens gain `offset` (their style)."""
        h, c = (t.detach().float().cpu().numpy() for t in state)
        layers, _, hidden = h.shape
        return CpuState(
            np.repeat(h.transpose(0, 2, 1).reshape(layers * hidden, -1), rows, axis=1),
            np.repeat(c.transpose(0, 2, 1), rows, axis=2),
            np.full(rows, offset, np.int64),
        )

    @staticmethod
    def join(states: list[CpuState]) -> CpuState:
        return CpuState(
            np.concatenate([s.h for s in states], axis=1),
            np.concatenate([s.c for s in states], axis=2),
            np.concatenate([s.offset for s in states]),
        )


class CpuLSTM:
    """A read-only numpy copy of a `LyricsLSTM`, safe to share between threads."""

    def __init__(self, model: LyricsLSTM) -> None:
        config = model.config
        self.layers, self.hidden, self.vocab = (
            config.num_layers,
            config.hidden_size,
            config.vocab_size,
        )
        weights = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
        order, scale = _gate_layout(self.hidden)

        def rows(name: str) -> np.ndarray:
            return weights[f"lstm.{name}"][order] * scale[:, None]

        def bias(layer: int) -> np.ndarray:
            both = weights[f"lstm.bias_ih_l{layer}"] + weights[f"lstm.bias_hh_l{layer}"]
            return both[order] * scale

        embed, w_in = weights["embed.weight"], rows("weight_ih_l0")
        styles = weights.get("style_embed.weight")
        self.styles = None if styles is None else _f32(styles)
        self.table: np.ndarray | None = None
        slots = 1 if styles is None else styles.shape[0]
        if slots * embed.shape[0] * w_in.shape[0] * 4 <= TABLE_BYTES:
            if styles is not None:  # every input id's vector, slot-major as model.py numbers them
                embed = (styles[:, None] + embed[None]).reshape(-1, embed.shape[1])
            self.table = _f32(embed @ w_in.T + bias(0))  # (slots·V, 4H)
        else:  # a word vocabulary: the table would cost more memory than it saves time
            self.embed, self.w_in = _f32(embed), _f32(w_in)
        self.w = [_f32(rows("weight_hh_l0"))]
        self.w += [
            _f32(np.concatenate([rows(f"weight_ih_l{n}"), rows(f"weight_hh_l{n}")], axis=1))
            for n in range(1, self.layers)
        ]
        self.b = [_f32(bias(n)[:, None]) for n in range(self.layers)]
        # Each upper layer's style vector through its W_ih: a gate bias per style, (slots, 4H)
        self.style_gates = [
            _f32(weights[f"style_layers.{n - 1}.weight"] @ rows(f"weight_ih_l{n}").T)
            for n in range(1, self.layers)
            if f"style_layers.{n - 1}.weight" in weights
        ]
        # A tied model's projection is folded into the head: (V, E) @ (E, H) → (V, H), so
        # serving costs the same as an untied model's.
        head = weights["head.weight"]
        self.head_w = _f32(head @ weights["proj.weight"] if "proj.weight" in weights else head)
        self.head_b = _f32(weights["head.bias"][:, None])
        style_head = weights.get("style_head.weight")  # (slots, V): each style's logit bias
        self.style_head = None if style_head is None else _f32(style_head)
        self.styled = self.styles is not None

    def initial_state(self, rows: int) -> CpuState:
        return CpuState.zeros(self.layers, self.hidden, rows)

    def step(self, tokens: np.ndarray, state: CpuState) -> np.ndarray:
        """Feed one token per row, updating `state` in place; returns (rows, V) logits."""
        hidden, h, ids = self.hidden, state.h, state.inputs(tokens)
        gates = self.w[0] @ h[:hidden]
        if self.table is not None:
            gates += self.table[ids].T
        else:
            gates += self.w_in @ self.input_vectors(ids).T
            gates += self.b[0]
        self._cell(gates, state.c[0], h[:hidden])
        slots = ids // self.vocab if self.styled else None
        for layer in range(1, self.layers):
            gates = self.w[layer] @ h[(layer - 1) * hidden : (layer + 1) * hidden]
            gates += self.b[layer]
            if slots is not None:
                gates += self.style_gates[layer - 1][slots].T
            self._cell(gates, state.c[layer], h[layer * hidden : (layer + 1) * hidden])
        logits = self.head_w @ h[(self.layers - 1) * hidden :]
        logits += self.head_b
        if slots is not None and self.style_head is not None:
            logits += self.style_head[slots].T
        return logits.T

    def input_vectors(self, ids: np.ndarray) -> np.ndarray:
        """(rows, E): what layer 0 reads for each input id, without the table."""
        if self.styles is None:
            return self.embed[ids]
        slot, token = np.divmod(ids, self.vocab)
        return self.embed[token] + self.styles[slot]

    def _cell(self, gates: np.ndarray, c: np.ndarray, h_out: np.ndarray) -> None:
        hidden = self.hidden
        np.tanh(gates, out=gates)
        sigmoid = gates[: 3 * hidden]
        sigmoid += 1.0
        sigmoid *= 0.5
        c *= gates[hidden : 2 * hidden]
        c += gates[:hidden] * gates[3 * hidden :]
        np.tanh(c, out=h_out)
        h_out *= gates[2 * hidden : 3 * hidden]


def _gate_layout(hidden: int) -> tuple[np.ndarray, np.ndarray]:
    """torch's gate rows are i, f, g, o; ours are i, f, o, g with the sigmoid rows halved."""
    i, f, g, o = (np.arange(n * hidden, (n + 1) * hidden) for n in range(4))
    scale = np.concatenate([np.full(3 * hidden, 0.5), np.ones(hidden)])
    return np.concatenate([i, f, o, g]), scale


def _f32(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float32)
