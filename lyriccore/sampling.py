"""Sampling parameters and the per-step token choice.

Every knob is a per-row tensor so one batched step can serve streams with different settings
(several samples now, several users' requests later). Sampling draws one uniform per row and
inverts the CDF, which is far cheaper than `torch.multinomial` over a large vocabulary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import torch

from lyriccore.errors import ConfigError

LIMITS: dict[str, tuple[float, float]] = {
    "temperature": (0.05, 3.0),
    "top_p": (0.01, 1.0),
    "repetition_penalty": (1.0, 3.0),
}


@dataclass(frozen=True)
class SamplingParams:
    """How to continue a seed. `top_k=0` and `top_p=1.0` switch those filters off."""

    temperature: float = 0.8
    top_k: int = 0
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    repetition_window: int = 64
    anneal_to: float | None = None
    greedy: bool = False
    beam: int = 1
    lines: int | None = 8
    max_tokens: int = 1500
    stop: str | None = None
    samples: int = 1
    rng_seed: int | None = None

    def __post_init__(self) -> None:
        for name, (low, high) in LIMITS.items():
            _check_range(name, getattr(self, name), low, high)
        if self.anneal_to is not None:
            _check_range("anneal_to", self.anneal_to, *LIMITS["temperature"])
        _check_range("top_k", self.top_k, 0, 100_000)
        _check_range("repetition_window", self.repetition_window, 1, 10_000)
        _check_range("beam", self.beam, 1, 32)
        _check_range("max_tokens", self.max_tokens, 1, 100_000)
        _check_range("samples", self.samples, 1, 256)
        if self.lines is not None:
            _check_range("lines", self.lines, 1, 1000)
        if self.beam > 1 and self.samples > self.beam:
            raise ConfigError("with beam search, samples must be <= beam")
        if self.stop == "":
            raise ConfigError("stop marker must not be empty")

    def with_seed(self, rng_seed: int) -> SamplingParams:
        return replace(self, rng_seed=rng_seed)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, not {value:g}")


def temperature_at(params: SamplingParams, progress: float) -> float:
    """Anneal linearly from `temperature` to `anneal_to` as the output progresses (0 → 1)."""
    if params.anneal_to is None:
        return params.temperature
    progress = min(1.0, max(0.0, progress))
    return params.temperature + (params.anneal_to - params.temperature) * progress


def penalise_repeats(logits: torch.Tensor, recent: torch.Tensor, penalty: torch.Tensor) -> None:
    """CTRL-style penalty, in place: recently used tokens lose likelihood (positive logits are
    divided, negative multiplied). `recent` is (N, W) with -1 for empty slots."""
    if recent.numel() == 0 or bool((penalty == 1.0).all()):
        return
    n, vocab = logits.shape
    padded = torch.cat([logits, logits.new_zeros(n, 1)], dim=1)
    index = recent.masked_fill(recent < 0, vocab)
    values = padded.gather(1, index)
    p = penalty[:, None].to(values.dtype)
    padded.scatter_(1, index, torch.where(values > 0, values / p, values * p))
    logits.copy_(padded[:, :vocab])


def filter_top_k(logits: torch.Tensor, top_k: torch.Tensor) -> torch.Tensor:
    """Keep each row's k largest logits (ties at the k-th value are kept too)."""
    vocab = logits.size(1)
    k = torch.where(top_k > 0, top_k, vocab).clamp(max=vocab)
    kth = logits.topk(int(k.max()), dim=1).values.gather(1, (k - 1)[:, None])
    return logits.masked_fill(logits < kth, float("-inf"))


def filter_top_p(probs: torch.Tensor, top_p: torch.Tensor) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose mass reaches p (nucleus sampling)."""
    sorted_p, order = probs.sort(dim=1, descending=True)
    before = sorted_p.cumsum(dim=1) - sorted_p
    sorted_p = sorted_p.masked_fill(before >= top_p[:, None], 0.0)
    return torch.zeros_like(probs).scatter_(1, order, sorted_p)


@dataclass
class RowKnobs:
    """Per-row tensors of the settings a batched step needs."""

    temperature: torch.Tensor
    top_k: torch.Tensor
    top_p: torch.Tensor
    penalty: torch.Tensor
    greedy: torch.Tensor


def choose_tokens(
    logits: torch.Tensor, knobs: RowKnobs, recent: torch.Tensor, uniforms: torch.Tensor
) -> torch.Tensor:
    """(N, V) logits → (N,) token ids, one draw per row. Id 0 (<unk>) is never chosen."""
    logits = logits.float().clone()
    logits[:, 0] = float("-inf")
    penalise_repeats(logits, recent, knobs.penalty)
    greedy_choice = logits.argmax(dim=1)
    if bool(knobs.greedy.all()):
        return greedy_choice
    scaled = logits / knobs.temperature[:, None]
    if bool((knobs.top_k > 0).any()):
        scaled = filter_top_k(scaled, knobs.top_k)
    probs = torch.softmax(scaled, dim=1)
    if bool((knobs.top_p < 1.0).any()):
        probs = filter_top_p(probs, knobs.top_p)
    cdf = probs.cumsum(dim=1)
    target = (uniforms * cdf[:, -1])[:, None]
    sampled = torch.searchsorted(cdf, target, right=True).squeeze(1)
    sampled = _last_nonzero_if_overflow(sampled, probs)
    return torch.where(knobs.greedy, greedy_choice, sampled)


def _last_nonzero_if_overflow(sampled: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """Rounding can push a draw past the last kept token; pull it back onto one."""
    vocab = probs.size(1)
    overflow = sampled >= vocab
    if not bool(overflow.any()):
        return sampled
    positions = torch.arange(vocab).expand_as(probs)
    last_kept = torch.where(probs > 0, positions, -1).max(dim=1).values
    return torch.where(overflow, last_kept, sampled)
