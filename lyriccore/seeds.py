"""Turning a user's seed into model input."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from lyriccore.corpus import normalise
from lyriccore.errors import GenerationError
from lyriccore.model import LyricsLSTM
from lyriccore.tokenizer import Tokenizer

MAX_SEED_CHARS = 10_000


@dataclass(frozen=True)
class PreparedSeed:
    """A seed as the model reads it: `prefix` (the style token, for a model with styles) is
    read before `ids` but never written out; `slot` is the style every step reads."""

    text: str
    ids: list[int]
    unknown: list[str]
    prefix: list[int] = field(default_factory=list)
    slot: int = 0


def prepare_seed(tokenizer: Tokenizer, seed: str, style: str | None = None) -> PreparedSeed:
    """Normalise a seed like the corpus, and drop (and report) what the vocabulary lacks. A
    style the model does not know is a GenerationError naming the ones it does."""
    if len(seed) > MAX_SEED_CHARS:
        raise GenerationError(f"seed is {len(seed)} characters; the limit is {MAX_SEED_CHARS}")
    prefix = tokenizer.style_prefix(style)
    text = normalise(seed, lowercase=tokenizer.lowercase)
    if not seed.endswith("\n"):  # a seed ends mid-line unless it ends a line itself
        text = text.rstrip("\n")
    encoded = tokenizer.encode_reporting(text, drop_unknown=True)
    slot = tokenizer.style_slot(style) if prefix else 0
    return PreparedSeed(tokenizer.decode(encoded.ids), encoded.ids, encoded.unknown, prefix, slot)


def start_ids(tokenizer: Tokenizer, seed: PreparedSeed) -> list[int]:
    """What the model reads before writing: the style token, then the seed. With neither, a
    newline, as if at the beginning of a line."""
    if seed.prefix or seed.ids:
        return seed.prefix + seed.ids
    newline = tokenizer.id_of("\n")
    return [newline if newline is not None else tokenizer.reserved]


def seed_input(model: LyricsLSTM, tokenizer: Tokenizer, seed: PreparedSeed) -> torch.Tensor:
    """(1, T): `start_ids` as `model` reads them, each with the seed's style folded in."""
    return torch.tensor([start_ids(tokenizer, seed)]) + model.style_offset(seed.slot)
