"""Turning a token stream into training batches where every position is a target.

The stream is cut into `batch_size` contiguous lanes; each batch is the next `seq_len` tokens
of every lane, with targets shifted by one. Lanes stay contiguous across batches, so the LSTM
state can be carried from one batch to the next (truncated backpropagation through time).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from lyriccore.errors import ConfigError, CorpusError


def split_train_val(
    ids: torch.Tensor, val_fraction: float, *, blocks: int = 10
) -> tuple[torch.Tensor, torch.Tensor]:
    """Hold out the tail of each of `blocks` contiguous blocks.

    Taking the tail of several blocks, rather than the corpus's last tenth, keeps every part of
    a corpus (a folder sorted by genre, say) represented in validation, while each held-out
    piece stays contiguous so neighbouring training text leaks only at block edges.
    """
    if not 0.0 < val_fraction < 0.5:
        raise ConfigError("val_fraction must be in (0, 0.5)")
    block_len = len(ids) // blocks
    if block_len < 2:
        raise CorpusError(f"corpus too short to split: {len(ids)} tokens")
    train_parts, val_parts = [], []
    for b in range(blocks):
        start = b * block_len
        end = len(ids) if b == blocks - 1 else start + block_len
        cut = end - max(1, round((end - start) * val_fraction))
        train_parts.append(ids[start:cut])
        val_parts.append(ids[cut:end])
    return torch.cat(train_parts), torch.cat(val_parts)


def lanes(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """(N,) → (B, N // B): contiguous lanes, the tail that does not fill a lane dropped."""
    per_lane = len(ids) // batch_size
    return ids[: per_lane * batch_size].view(batch_size, per_lane)


def min_tokens(batch_size: int, seq_len: int) -> int:
    return batch_size * (seq_len + 1)


def check_enough(ids: torch.Tensor, batch_size: int, seq_len: int, what: str) -> None:
    needed = min_tokens(batch_size, seq_len)
    if len(ids) < needed:
        raise CorpusError(
            f"{what} has {len(ids)} tokens but one batch needs {needed} "
            f"(batch_size {batch_size} × (seq_len {seq_len} + 1)); "
            "use a larger corpus or a smaller --batch-size / --seq-len"
        )


def iterate_batches(
    data: torch.Tensor, seq_len: int, *, offset: int = 0, vary: torch.Generator | None = None
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield (inputs, targets), both (B, T), walking the lanes left to right from `offset`.

    With `vary`, each window's length is drawn from it (`window_length`), so cut points move
    every epoch and the model learns from every position at every depth into its window.
    """
    width, start = data.size(1), offset
    while start < width - 1:
        length = seq_len if vary is None else window_length(seq_len, vary)
        length = min(length, width - 1 - start)
        yield data[:, start : start + length], data[:, start + 1 : start + 1 + length]
        start += length


def window_length(seq_len: int, gen: torch.Generator) -> int:
    """AWD-LSTM's variable BPTT: around seq_len (5 % of windows around half of it), with a
    spread of a twentieth of it, never under 2 or over 1.5 × seq_len."""
    base = seq_len / 2 if float(torch.rand((), generator=gen)) < 0.05 else seq_len
    drawn = float(torch.normal(base, max(1.0, seq_len / 20), (), generator=gen))
    return int(min(max(2, round(drawn)), seq_len * 3 // 2))


def batches_per_epoch(data: torch.Tensor, seq_len: int, offset: int = 0) -> int:
    return max(0, -(-(data.size(1) - 1 - offset) // seq_len))
