"""Embedding → n-layer LSTM → dropout → Linear, the language model behind every lyric."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from lyriccore.errors import CheckpointError, ConfigError

State = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network; stored in every checkpoint."""

    vocab_size: int
    embed_dim: int = 64
    hidden_size: int = 256
    num_layers: int = 2
    dropout: float = 0.2
    tie_weights: bool = False

    def __post_init__(self) -> None:
        if self.vocab_size < 2:
            raise ConfigError("vocabulary needs at least 2 tokens")
        if min(self.embed_dim, self.hidden_size, self.num_layers) < 1:
            raise ConfigError("embed_dim, hidden_size and num_layers must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError("dropout must be in [0, 1)")
        if self.tie_weights and self.embed_dim != self.hidden_size:
            raise ConfigError("tie_weights needs embed_dim == hidden_size")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        try:
            return cls(**data)
        except TypeError as exc:
            raise CheckpointError(f"checkpoint model config is malformed ({exc})") from exc


class LyricsLSTM(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed_dim)
        # Holds the weights under the names every checkpoint uses; forward() runs the layers
        # itself so that it can drop out between them.
        self.lstm = nn.LSTM(config.embed_dim, config.hidden_size, num_layers=config.num_layers)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)
        if config.tie_weights:
            self.head.weight = self.embed.weight

    def forward(
        self, tokens: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """(B, T) tokens → (B, T, V) logits, time-major inside.

        oneDNN's LSTM works time-major, so batch-first tensors would be transposed into and out
        of every layer, forward and backward. Dropout is variational (one mask per lane and
        window, shared by every time step, as in AWD-LSTM), the usual choice for recurrent
        language models; a fresh mask for every position cost ~15% of a bf16 training step.
        """
        x = self.embed(tokens.t())  # (T, B, E)
        h0, c0 = state if state is not None else self.initial_state(tokens.size(0), x.device)
        hs, cs = [], []
        for layer in range(self.config.num_layers):
            if layer:
                x = self._dropout(x)
            x, h, c = torch.lstm(
                x, (h0[layer : layer + 1], c0[layer : layer + 1]), self._weights(layer),
                True, 1, 0.0, self.training, False, False,
            )  # fmt: skip
            hs.append(h)
            cs.append(c)
        logits = self.head(self._dropout(x))  # (T, B, V)
        return logits.transpose(0, 1), (torch.cat(hs), torch.cat(cs))

    def _weights(self, layer: int) -> list[torch.Tensor]:
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return [getattr(self.lstm, f"{name}_l{layer}") for name in names]

    def _dropout(self, x: torch.Tensor) -> torch.Tensor:
        """Zero the same units of a lane at every step of x (T, B, F)."""
        p = self.config.dropout
        if not self.training or p == 0.0:
            return x
        keep = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - p)  # (1, B, F)
        return x * keep.div_(1 - p)

    def step(self, tokens: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One token per row, for generation: (N,) → logits (N, V).

        Same weights and result as forward() in eval mode, but through `torch.lstm_cell`
        layer by layer: nn.LSTM's per-call set-up dominates a one-token step, and this is
        2–5× faster there (bench/README.md).
        """
        x = self.embed(tokens)  # (N, E)
        h_all, c_all = state  # (L, N, H) each
        hs, cs = [], []
        for layer in range(self.config.num_layers):
            h, c = torch.lstm_cell(
                x,
                (h_all[layer], c_all[layer]),
                getattr(self.lstm, f"weight_ih_l{layer}"),
                getattr(self.lstm, f"weight_hh_l{layer}"),
                getattr(self.lstm, f"bias_ih_l{layer}"),
                getattr(self.lstm, f"bias_hh_l{layer}"),
            )
            hs.append(h)
            cs.append(c)
            x = h
        return self.head(x), (torch.stack(hs), torch.stack(cs))

    def initial_state(self, batch: int, device: torch.device | str = "cpu") -> State:
        shape = (self.config.num_layers, batch, self.config.hidden_size)
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)


def detach_state(state: State | None) -> State | None:
    """Cut the graph between batches so truncated BPTT does not backprop into the past."""
    if state is None:
        return None
    return state[0].detach(), state[1].detach()
