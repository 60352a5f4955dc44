"""The tutorial's training scheme, timed for comparison: one target per window.

Each example is a `seq_len`-token window and only the token after it is scored (an LSTM that
returns its last output, then a dense layer). The same model shape, optimiser and clipping as
lyriccore's trainer run over random windows of the same text; a few batches are timed and
targets/s extrapolated, which is enough because every batch costs the same.

Three steps are interleaved on the same windows, so their ratios hold even when other processes
load the machine: the tutorial's own code (its model: batch-first `nn.LSTM` with per-position
dropout, a dense layer on the last output; plain Adam), lyriccore's model scoring the last
position only (the scheme alone, like for like: at most `seq_len`x by construction), and
lyriccore's model scoring every position (what the trainer does).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from bench.common import Sizes, median, timed
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus
from lyriccore.model import LyricsLSTM, ModelConfig
from lyriccore.tokenizer import build_tokenizer
from lyriccore.trainer import token_loss

MIN_BATCHES = 2


def tutorial_throughput(corpus: Corpus, config: TrainConfig, sizes: Sizes) -> dict[str, Any]:
    """Per precision: median seconds per batch and targets/s of both scoring schemes, over
    `sizes.tutorial_batches` batches, or fewer (at least 2) if they take more than
    `sizes.tutorial_cap_s`."""
    c = config.resolved()
    assert c.embed_dim is not None and c.hidden_size is not None and c.batch_size is not None
    assert c.dropout is not None
    tokenizer = build_tokenizer(c.level, corpus.text, lowercase=c.lowercase)
    ids = torch.tensor(tokenizer.encode(corpus.text), dtype=torch.long)
    model_config = ModelConfig(
        vocab_size=tokenizer.vocab_size,
        embed_dim=c.embed_dim,
        hidden_size=c.hidden_size,
        num_layers=c.num_layers,
        dropout=c.dropout,
    )
    figures: dict[str, Any] = {}
    for name, dtype in (("fp32", None), ("bf16", torch.bfloat16)):
        torch.manual_seed(c.seed)
        theirs, last, full = _time_batches(LyricsLSTM(model_config).train(), ids, c, dtype, sizes)
        every_position = c.batch_size * (c.seq_len or 0) / median(full)
        figures[name] = {
            "batches_timed": len(last),
            "seconds_per_batch": median(theirs),
            "targets_per_s": c.batch_size / median(theirs),
            "same_model_last_position_targets_per_s": c.batch_size / median(last),
            "every_position_seconds_per_batch": median(full),
            "every_position_targets_per_s": every_position,
            "speedup_per_batch_median": median(theirs) / median(full) * (c.seq_len or 0),
            "speedup_same_model": median(last) / median(full) * (c.seq_len or 0),
        }
    return figures


def _time_batches(
    model: LyricsLSTM, ids: torch.Tensor, c: TrainConfig, dtype: torch.dtype | None, sizes: Sizes
) -> tuple[list[float], list[float], list[float]]:
    """Seconds per batch on the same windows: the tutorial's code, our model scoring the last
    position only, and our model scoring every position."""
    assert c.seq_len is not None and c.batch_size is not None and c.lr is not None
    optimizer = torch.optim.Adam(model.parameters(), lr=c.lr, fused=True)
    gen = torch.Generator().manual_seed(c.seed)
    step = _Step(model, optimizer, dtype, c.clip)
    tutorial = _TutorialModel(model.config).train()
    tutorial_step = _Step(tutorial, torch.optim.Adam(tutorial.parameters(), lr=c.lr), dtype, c.clip)
    theirs: list[float] = []
    last: list[float] = []
    full: list[float] = []
    started = time.perf_counter()
    warmup = sizes.tutorial_warmup
    for index in range(warmup + sizes.tutorial_batches):
        if len(last) >= MIN_BATCHES and time.perf_counter() - started > sizes.tutorial_cap_s:
            break
        starts = torch.randint(0, len(ids) - c.seq_len, (c.batch_size,), generator=gen)
        windows = torch.stack([ids[s : s + c.seq_len + 1] for s in starts.tolist()])
        _, theirs_s = timed(lambda w=windows: tutorial_step(w, every_position=False))
        _, last_s = timed(lambda w=windows: step(w, every_position=False))
        _, full_s = timed(lambda w=windows: step(w, every_position=True))
        if index >= warmup:
            theirs.append(theirs_s)
            last.append(last_s)
            full.append(full_s)
    return theirs, last, full


class _TutorialModel(nn.Module):
    """The tutorial's char model: nn.LSTM's own dropout (a fresh mask per position), batch
    first, a dense layer on the last output only."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(config.vocab_size, config.embed_dim)
        self.lstm = nn.LSTM(
            config.embed_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            dropout=config.dropout,
            batch_first=True,
        )
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, None]:
        out, _ = self.lstm(self.embed(tokens))  # (B, T, H)
        return self.head(out[:, -1]).unsqueeze(1), None  # (B, 1, V): the last position


class _Step:
    def __init__(
        self,
        model: LyricsLSTM | _TutorialModel,
        optimizer: torch.optim.Optimizer,
        dtype: torch.dtype | None,
        clip: float,
    ) -> None:
        self.model, self.optimizer, self.dtype, self.clip = model, optimizer, dtype, clip

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast("cpu", dtype=self.dtype)

    def __call__(self, windows: torch.Tensor, *, every_position: bool) -> None:
        inputs = windows[:, :-1]  # (B, T)
        with self._autocast():
            logits, _ = self.model(inputs)  # (B, T, V)
            if every_position:
                loss = token_loss(logits, windows[:, 1:])
            else:  # the last position only; the unscored rest of the head is ~1% of the step
                loss = F.cross_entropy(logits[:, -1].float(), windows[:, -1])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.optimizer.step()
