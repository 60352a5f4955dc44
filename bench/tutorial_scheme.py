"""The tutorial's training scheme, timed for comparison: one target per window.

Each example is a `seq_len`-token window and only the token after it is scored (an LSTM that
returns its last output, then a dense layer). The same model shape, optimiser and clipping as
lyriccore's trainer run over random windows of the same text; a few batches are timed and
targets/s extrapolated, which is enough because every batch costs the same.

Steps that score every position (what the trainer does) are interleaved with them on the same
windows, so the per-batch speed-up is like for like even when other processes load the machine.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import torch
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
        model = LyricsLSTM(model_config).train()
        last, full = _time_batches(model, ids, c, dtype, sizes)
        one_target = c.batch_size / median(last)  # targets/s
        every_position = c.batch_size * (c.seq_len or 0) / median(full)
        figures[name] = {
            "batches_timed": len(last),
            "seconds_per_batch": median(last),
            "targets_per_s": one_target,
            "every_position_seconds_per_batch": median(full),
            "every_position_targets_per_s": every_position,
            "speedup_per_batch_median": every_position / one_target,
        }
    return figures


def _time_batches(
    model: LyricsLSTM, ids: torch.Tensor, c: TrainConfig, dtype: torch.dtype | None, sizes: Sizes
) -> tuple[list[float], list[float]]:
    """Seconds per batch: last position only, and every position, on the same windows."""
    assert c.seq_len is not None and c.batch_size is not None and c.lr is not None
    optimizer = torch.optim.Adam(model.parameters(), lr=c.lr, fused=True)
    gen = torch.Generator().manual_seed(c.seed)
    step = _Step(model, optimizer, dtype, c.clip)
    last: list[float] = []
    full: list[float] = []
    started = time.perf_counter()
    warmup = sizes.tutorial_warmup
    for index in range(warmup + sizes.tutorial_batches):
        if len(last) >= MIN_BATCHES and time.perf_counter() - started > sizes.tutorial_cap_s:
            break
        starts = torch.randint(0, len(ids) - c.seq_len, (c.batch_size,), generator=gen)
        windows = torch.stack([ids[s : s + c.seq_len + 1] for s in starts.tolist()])
        _, last_s = timed(lambda w=windows: step(w, every_position=False))
        _, full_s = timed(lambda w=windows: step(w, every_position=True))
        if index >= warmup:
            last.append(last_s)
            full.append(full_s)
    return last, full


class _Step:
    def __init__(
        self,
        model: LyricsLSTM,
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
