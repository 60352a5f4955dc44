"""Sampling parameters and the per-step token choice.

Every knob is a per-row array so one batched step can serve streams with different settings:
several samples of one request, and the requests of several users stepped together. Sampling
draws one uniform per row and inverts the CDF, far cheaper than `torch.multinomial` over a
large vocabulary. It is numpy, like the serving step (cpu_lstm.py), because at one row per
request the cost of a step is the number of calls, and numpy's calls are the cheap ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from functools import cached_property
from typing import Any

import numpy as np

from lyriccore.errors import ConfigError
from lyriccore.form import check_syllables, parse_scheme
from lyriccore.styles import normalise_style

WORD_MODES = ("off", "strict", "lexicon")
MAX_BEST_OF = 32

LIMITS: dict[str, tuple[float, float]] = {
    "temperature": (0.05, 3.0),
    "top_p": (0.01, 1.0),
    "repetition_penalty": (1.0, 3.0),
}


@dataclass(frozen=True)
class SamplingParams:
    """How to continue a seed. `top_k=0` and `top_p=1.0` switch those filters off.

    The song-form fields shape whole lines (lines.py): `best_of` candidates per line, one
    kept; `scheme` letters (AABB, ABAB, ...) that repeat over stanzas; `syllables` per line,
    one number or a repeating pattern, within `syllable_tolerance`; `words` "strict" (training
    or lexicon words only), "lexicon" (lexicon words only) or "off"; `near_rhyme` accepts
    endings that share the stressed vowel only. `style` names the style the song is written in
    (styles.py); which styles exist depends on the model, checked when generation starts.
    `stanza_breaks` off: no blank line at all, as in one section of a song (song.py), where a
    blank line between every line would read as a stanza a line long.
    """

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
    scheme: str | None = None
    syllables: tuple[int, ...] | None = None
    syllable_tolerance: int = 1
    best_of: int = 1
    words: str = "off"
    near_rhyme: bool = False
    style: str | None = None
    stanza_breaks: bool = True

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
        self._check_form()

    def _check_form(self) -> None:
        # Normalised in place, so equal requests compare and log equal ("abab" is "ABAB").
        object.__setattr__(self, "scheme", parse_scheme(self.scheme))
        if self.syllables is not None:
            object.__setattr__(self, "syllables", tuple(self.syllables))
            check_syllables(self.syllables)
        _check_range("syllable_tolerance", self.syllable_tolerance, 0, 5)
        _check_range("best_of", self.best_of, 1, MAX_BEST_OF)
        if self.words not in WORD_MODES:
            raise ConfigError(f"words must be one of {', '.join(WORD_MODES)}, not {self.words!r}")
        if self.style is not None:
            object.__setattr__(self, "style", normalise_style(self.style))
        if self.beam > 1 and self.shapes_lines:
            raise ConfigError("beam search takes no scheme, syllables, best_of or words")

    @property
    def shapes_lines(self) -> bool:
        """Whether decoding goes line by line with constraints (lines.py), not token by token."""
        return bool(self.scheme or self.syllables or self.best_of > 1 or self.words != "off")

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


def penalise_repeats(logits: np.ndarray, recent: np.ndarray, penalty: np.ndarray) -> None:
    """CTRL-style penalty, in place: recently used tokens lose likelihood (positive logits are
    divided, negative multiplied). `recent` is (N, W) with -1 for empty slots."""
    if recent.size == 0 or bool((penalty == 1.0).all()):
        return
    n, vocab = logits.shape
    padded = np.concatenate([logits, np.zeros((n, 1), logits.dtype)], axis=1)
    index = np.where(recent < 0, vocab, recent)
    values = np.take_along_axis(padded, index, axis=1)
    p = penalty[:, None].astype(values.dtype)
    np.put_along_axis(padded, index, np.where(values > 0, values / p, values * p), axis=1)
    logits[:] = padded[:, :vocab]


def filter_top_k(logits: np.ndarray, top_k: np.ndarray) -> None:
    """In place: keep each row's k largest logits (ties at the k-th value are kept too)."""
    vocab = logits.shape[1]
    k = np.minimum(np.where(top_k > 0, top_k, vocab), vocab)
    widest = int(k.max())
    largest = -np.partition(-logits, widest - 1, axis=1)[:, :widest]
    largest.sort(axis=1)
    kth = np.take_along_axis(largest, (widest - k)[:, None], axis=1)
    logits[logits < kth] = -np.inf


def filter_top_p(weights: np.ndarray, top_p: np.ndarray) -> None:
    """In place: keep the smallest set of most likely tokens whose share of each row's mass
    reaches p (nucleus sampling). `weights` need not be normalised."""
    order = np.argsort(-weights, axis=1, kind="stable")
    ordered = np.take_along_axis(weights, order, axis=1)
    before = np.cumsum(ordered, axis=1) - ordered
    limit = (top_p * ordered.sum(axis=1))[:, None]
    dropped = (before >= limit) & (top_p < 1.0)[:, None]
    np.put_along_axis(weights, order, np.where(dropped, 0.0, ordered), axis=1)


@dataclass
class RowKnobs:
    """Per-row arrays of the settings a batched step needs; rows of different requests can
    sit side by side."""

    temperature: np.ndarray
    top_k: np.ndarray
    top_p: np.ndarray
    penalty: np.ndarray
    greedy: np.ndarray

    @classmethod
    def of(cls, params: SamplingParams, rows: int) -> RowKnobs:
        return cls(
            temperature=np.full(rows, params.temperature, np.float32),
            top_k=np.full(rows, params.top_k, np.int64),
            top_p=np.full(rows, params.top_p, np.float32),
            penalty=np.full(rows, params.repetition_penalty, np.float32),
            greedy=np.full(rows, params.greedy, bool),
        )

    @classmethod
    def join(cls, knobs: list[RowKnobs]) -> RowKnobs:
        return cls(*(np.concatenate([getattr(k, f.name) for k in knobs]) for f in fields(cls)))

    # Which steps of `choose_tokens` any row needs, asked once per set of rows rather than on
    # every token: at one row a reduction costs as much as the step's sampling arithmetic.
    @cached_property
    def all_greedy(self) -> bool:
        return bool(self.greedy.all())

    @cached_property
    def any_greedy(self) -> bool:
        return bool(self.greedy.any())

    @cached_property
    def any_top_k(self) -> bool:
        return bool((self.top_k > 0).any())

    @cached_property
    def any_top_p(self) -> bool:
        return bool((self.top_p < 1.0).any())


def choose_tokens(
    logits: np.ndarray,
    knobs: RowKnobs,
    recent: np.ndarray,
    uniforms: np.ndarray,
    reserved: int = 1,
) -> np.ndarray:
    """(N, V) logits → (N,) token ids, one draw per row. The `reserved` ids (<unk>, and the
    style tokens of a model with styles) are never chosen."""
    logits = np.array(logits, dtype=np.float32)
    logits[:, :reserved] = -np.inf
    penalise_repeats(logits, recent, knobs.penalty)
    if knobs.all_greedy:
        return logits.argmax(axis=1)
    greedy_choice = logits.argmax(axis=1) if knobs.any_greedy else None
    logits /= knobs.temperature[:, None]
    if knobs.any_top_k:
        filter_top_k(logits, knobs.top_k)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits, out=logits)
    if knobs.any_top_p:
        filter_top_p(weights, knobs.top_p)
    cdf = np.add.accumulate(weights, axis=1)
    passed = cdf > (uniforms * cdf[:, -1])[:, None]
    sampled = passed.argmax(axis=1)  # the first token whose cumulative weight passes the draw
    sampled = _last_kept_if_overflow(sampled, passed[:, -1], weights)
    return sampled if greedy_choice is None else np.where(knobs.greedy, greedy_choice, sampled)


def _last_kept_if_overflow(
    sampled: np.ndarray, reached: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Rounding can put a draw at the very top, passed by no token (`reached` False); pull it
    back onto the last kept token."""
    if bool(reached.all()):
        return sampled
    last_kept = weights.shape[1] - 1 - np.argmax(weights[:, ::-1] > 0, axis=1)
    return np.where(reached, sampled, last_kept)
