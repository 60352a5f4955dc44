"""Embedding → n-layer LSTM → dropout → Linear, the language model behind every lyric.

Regularised as AWD-LSTM (Merity et al., salesforce/awd-lstm-lm): variational (locked) dropout
on the embedding output, between layers and before the head; embedding dropout (whole tokens'
rows); DropConnect on the hidden-to-hidden weights; optional weight tying, through a projection
when the embedding is narrower than the LSTM.

A model trained on songs with styles hears its style at every step (a conditional language
model): a vector added to the embedding, one added to each upper layer's input, and a bias on
the logits, one of each per style. A style token read once at the start of a song was
forgotten within a line or two, and each of the three raised how often a classifier names the
asked style of the text (bench/README.md "Style tokens"). The style rides in the input ids
themselves, `token + vocab_size × slot`, so every split, lane, window and row selection that
moves a token moves its style with it, and a serving step can look both up in one table.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from lyriccore.errors import CheckpointError, ConfigError

State = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network; stored in every checkpoint."""

    vocab_size: int
    embed_dim: int = 64
    hidden_size: int = 256
    num_layers: int = 2
    dropout: float = 0.2  # locked dropout between LSTM layers and before the head
    tie_weights: bool = False  # head shares the embedding (through a projection if E != H)
    input_dropout: float = 0.0  # locked dropout on the embedding output
    embed_dropout: float = 0.0  # drop whole tokens' embedding rows
    weight_drop: float = 0.0  # DropConnect on each layer's W_hh, one mask per batch
    # The styles every step hears: the generic style, then each named one (the tokenizer's
    # order); 0 for a model without styles and for models made before styles were heard.
    style_slots: int = 0

    def __post_init__(self) -> None:
        if self.vocab_size < 2:
            raise ConfigError("vocabulary needs at least 2 tokens")
        if self.style_slots < 0:
            raise ConfigError("style_slots cannot be negative")
        if min(self.embed_dim, self.hidden_size, self.num_layers) < 1:
            raise ConfigError("embed_dim, hidden_size and num_layers must be positive")
        rates = (self.dropout, self.input_dropout, self.embed_dropout, self.weight_drop)
        if not all(0.0 <= p < 1.0 for p in rates):
            raise ConfigError("dropout, input_dropout, embed_dropout, weight_drop: in [0, 1)")

    @property
    def projects(self) -> bool:
        """Tied weights with E != H need a hidden → embedding projection before the head."""
        return self.tie_weights and self.embed_dim != self.hidden_size

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
        # A style's vector beside the embedding's, one beside each upper layer's input (small
        # at first: a hidden state lies within ±1), and its bias on the logits (from zero).
        slots = config.style_slots
        self.style_embed = nn.Embedding(slots, config.embed_dim) if slots else None
        self.style_layers = nn.ModuleList(
            nn.Embedding(slots, config.hidden_size) for _ in range(config.num_layers - 1)
        ) if slots else nn.ModuleList()  # fmt: skip
        for table in self.style_layers:
            nn.init.normal_(table.weight, std=0.1)
        self.style_head = nn.Embedding(slots, config.vocab_size) if slots else None
        if self.style_head is not None:
            nn.init.zeros_(self.style_head.weight)
        # Holds the weights under the names every checkpoint uses; forward() runs the layers
        # itself so that it can drop out between them.
        self.lstm = nn.LSTM(config.embed_dim, config.hidden_size, num_layers=config.num_layers)
        head_in = config.embed_dim if config.tie_weights else config.hidden_size
        self.proj = nn.Linear(config.hidden_size, head_in, bias=False) if config.projects else None
        self.head = nn.Linear(head_in, config.vocab_size)
        if config.tie_weights:
            self.head.weight = self.embed.weight

    def forward(
        self, tokens: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """(B, T) tokens → (B, T, V) logits, time-major inside."""
        raw, state = self.features(tokens, state)
        return self.logits(self.drop_output(raw), tokens), state

    def features(
        self, tokens: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """(B, T) tokens → the last layer's raw output (T, B, H) and the new state.

        oneDNN's LSTM works time-major, so batch-first tensors would be transposed into and out
        of every layer, forward and backward. Dropout is variational (one mask per lane and
        window, shared by every time step, as in AWD-LSTM), the usual choice for recurrent
        language models; a fresh mask for every position cost ~15% of a bf16 training step.
        The trainer reads the raw output for activation regularisation (AR/TAR).
        """
        ids = tokens.t()
        x = self._dropout(self._embed(ids), self.config.input_dropout)  # (T, B, E)
        h0, c0 = state if state is not None else self.initial_state(tokens.size(0), x.device)
        hs, cs = [], []
        for layer in range(self.config.num_layers):
            if layer:
                x = self._with_style(self._dropout(x, self.config.dropout), ids, layer)
            x, h, c = torch.lstm(
                x, (h0[layer : layer + 1], c0[layer : layer + 1]), self.layer_weights(layer),
                True, 1, 0.0, self.training, False, False,
            )  # fmt: skip
            hs.append(h)
            cs.append(c)
        return x, (torch.cat(hs), torch.cat(cs))

    def drop_output(self, raw: torch.Tensor) -> torch.Tensor:
        """Locked dropout on the last layer's output (T, B, H), before the head."""
        return self._dropout(raw, self.config.dropout)

    def logits(self, x: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """(T, B, H) LSTM output and the (B, T) input ids it read → (B, T, V) logits,
        batch-first view of time-major ones."""
        if self.proj is not None:
            x = self.proj(x)  # (T, B, E)
        logits = self.head(x).transpose(0, 1)
        if self.style_head is None:
            return logits
        return logits + self.style_head(ids // self.config.vocab_size)

    def layer_weights(self, layer: int) -> list[torch.Tensor]:
        """W_ih, W_hh, b_ih, b_hh of `layer`; in training W_hh with DropConnect applied.

        The mask is drawn once per call, that is once per batch, and the fused LSTM kernel
        then runs with the dropped matrix: the same hidden units lose the same recurrent
        connections at every step, without a Python loop over time steps.
        """
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        w_ih, w_hh, b_ih, b_hh = (getattr(self.lstm, f"{name}_l{layer}") for name in names)
        if self.training and self.config.weight_drop > 0.0:
            w_hh = F.dropout(w_hh, self.config.weight_drop)
        return [w_ih, w_hh, b_ih, b_hh]

    def style_offset(self, slot: int) -> int:
        """What turns a token id into this model's input for style `slot` (0: generic)."""
        return slot * self.config.vocab_size if self.style_embed is not None else 0

    def with_style_strength(self, strength: float) -> LyricsLSTM:
        """A copy whose styles lie `strength` times as far from the generic style as trained.

        Every style's vectors (input, upper layers, logit bias) are moved along the line from
        the generic one through them: above 1 each style is heard more plainly than the songs
        it learned from, as classifier-free guidance does with a second pass, at no cost per
        step (the serving steps read the copy's tables). LoadedModel.with_style_strength
        decides when a model is pushed at all."""
        pushed = deepcopy(self)
        with torch.no_grad():
            for table in (pushed.style_embed, pushed.style_head, *pushed.style_layers):
                assert table is not None
                generic = table.weight[0].clone()
                table.weight[1:] = generic + strength * (table.weight[1:] - generic)
        return pushed

    def tokens_of(self, ids: torch.Tensor) -> torch.Tensor:
        """The token ids of input ids, without their styles: what a loss is taken against."""
        return ids % self.config.vocab_size if self.style_embed is not None else ids

    def _with_style(self, x: torch.Tensor, ids: torch.Tensor, layer: int) -> torch.Tensor:
        """Layer `layer`'s input (…, H) plus its style vector, for a model with styles."""
        if not len(self.style_layers):
            return x
        return x + self.style_layers[layer - 1](ids // self.config.vocab_size)

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Token embedding plus the style's vector; in training whole tokens' rows are dropped
        (and the rest scaled), so the model cannot lean on any one token's vector."""
        tokens = self.tokens_of(ids)
        p, weight = self.config.embed_dropout, self.embed.weight
        if not self.training or p == 0.0:
            x = self.embed(tokens)
        else:
            keep = weight.new_empty(weight.size(0), 1).bernoulli_(1 - p).div_(1 - p)  # (V, 1)
            x = F.embedding(tokens, weight * keep)
        if self.style_embed is not None:
            x = x + self.style_embed(ids // self.config.vocab_size)
        return x

    def _dropout(self, x: torch.Tensor, p: float) -> torch.Tensor:
        """Zero the same units of a lane at every step of x (T, B, F)."""
        if not self.training or p == 0.0:
            return x
        keep = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - p)  # (1, B, F)
        return x * keep.div_(1 - p)

    def step(self, tokens: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One input id per row (token and style, see `style_offset`), for generation:
        (N,) → logits (N, V).

        Same weights and result as forward() in eval mode, but through `torch.lstm_cell`
        layer by layer: nn.LSTM's per-call set-up dominates a one-token step, and this is
        2–5× faster there (bench/README.md).
        """
        x = self._embed(tokens)  # (N, E)
        h_all, c_all = state  # (L, N, H) each
        hs, cs = [], []
        for layer in range(self.config.num_layers):
            if layer:
                x = self._with_style(x, tokens, layer)
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
        if self.proj is not None:
            x = self.proj(x)  # (N, E)
        logits = self.head(x)
        if self.style_head is not None:
            logits = logits + self.style_head(tokens // self.config.vocab_size)
        return logits, (torch.stack(hs), torch.stack(cs))

    def initial_state(self, batch: int, device: torch.device | str = "cpu") -> State:
        shape = (self.config.num_layers, batch, self.config.hidden_size)
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)


def input_ids(config: ModelConfig, ids: list[int], slots: list[int]) -> torch.Tensor:
    """A token stream as `config`'s model reads it: each id with its style slot folded in."""
    tokens = torch.tensor(ids, dtype=torch.long)
    if not config.style_slots:
        return tokens
    return tokens + torch.tensor(slots, dtype=torch.long) * config.vocab_size


def detach_state(state: State | None) -> State | None:
    """Cut the graph between batches so truncated BPTT does not backprop into the past."""
    if state is None:
        return None
    return state[0].detach(), state[1].detach()
