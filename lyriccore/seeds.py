"""Turning a user's seed into model input."""

from __future__ import annotations

from dataclasses import dataclass

from lyriccore.corpus import normalise
from lyriccore.errors import GenerationError
from lyriccore.tokenizer import Tokenizer

MAX_SEED_CHARS = 10_000


@dataclass(frozen=True)
class PreparedSeed:
    text: str
    ids: list[int]
    unknown: list[str]


def prepare_seed(tokenizer: Tokenizer, seed: str) -> PreparedSeed:
    """Normalise a seed like the corpus, and drop (and report) what the vocabulary lacks."""
    if len(seed) > MAX_SEED_CHARS:
        raise GenerationError(f"seed is {len(seed)} characters; the limit is {MAX_SEED_CHARS}")
    text = normalise(seed, lowercase=tokenizer.lowercase)
    if not seed.endswith("\n"):  # a seed ends mid-line unless it ends a line itself
        text = text.rstrip("\n")
    encoded = tokenizer.encode_reporting(text, drop_unknown=True)
    return PreparedSeed(tokenizer.decode(encoded.ids), encoded.ids, encoded.unknown)


def start_ids(tokenizer: Tokenizer, seed_ids: list[int]) -> list[int]:
    """An empty seed starts as if at the beginning of a line."""
    if seed_ids:
        return seed_ids
    newline = tokenizer.id_of("\n")
    return [newline if newline is not None else 1]
