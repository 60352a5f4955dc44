"""Held-out scoring of a trained model: perplexity, bits per char, and sample text metrics."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from lyriccore.batching import lanes
from lyriccore.checkpoint import LoadedModel
from lyriccore.corpus import Corpus
from lyriccore.errors import CorpusError
from lyriccore.generator import Generator
from lyriccore.sampling import SamplingParams
from lyriccore.textmetrics import text_metrics
from lyriccore.trainer import evaluate_loss

EVAL_LANES = 16
EVAL_SEQ_LEN = 256


@dataclass(frozen=True)
class Evaluation:
    loss: float
    perplexity: float
    bits_per_char: float
    unknown_rate: float
    tokens: int
    samples: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "loss": self.loss,
            "perplexity": self.perplexity,
            "bits_per_char": self.bits_per_char,
            "unknown_rate": self.unknown_rate,
            "tokens": self.tokens,
            "samples": self.samples,
        }


@dataclass(frozen=True)
class HeldOutScore:
    loss: float
    bits_per_char: float
    unknown_rate: float
    tokens: int


def score_text(loaded: LoadedModel, text: str) -> HeldOutScore:
    """Score every token of `text` (unknown ones count as <unk>).

    Bits per char divides the total information by characters, so models with different
    vocabularies or levels can be compared on the same text.
    """
    encoded = loaded.tokenizer.encode_reporting(text)
    ids = torch.tensor(encoded.ids, dtype=torch.long)
    n_lanes = max(1, min(EVAL_LANES, len(ids) // (EVAL_SEQ_LEN + 1)))
    if len(ids) < 2 * n_lanes:
        raise CorpusError("corpus too short to evaluate: it needs at least 2 tokens")
    with torch.inference_mode():
        loss = evaluate_loss(loaded.model, lanes(ids, n_lanes), EVAL_SEQ_LEN)
    chars_per_token = len(text) / max(1, len(ids))
    return HeldOutScore(
        loss=loss,
        bits_per_char=loss / math.log(2) / chars_per_token,
        unknown_rate=len(encoded.unknown) / max(1, len(ids)),
        tokens=(len(ids) // n_lanes - 1) * n_lanes,
    )


def evaluate_model(
    loaded: LoadedModel, corpus: Corpus, *, samples: int = 8, lines: int = 8, rng_seed: int = 0
) -> Evaluation:
    """Held-out scores plus text metrics on generated samples."""
    score = score_text(loaded, corpus.text)
    generator = Generator(loaded)
    params = SamplingParams(samples=samples, lines=lines, rng_seed=rng_seed)
    texts = generator.generate("", params).continuations
    return Evaluation(
        loss=score.loss,
        perplexity=math.exp(min(score.loss, 50.0)),
        bits_per_char=score.bits_per_char,
        unknown_rate=score.unknown_rate,
        tokens=score.tokens,
        samples=text_metrics(texts).to_dict(),
    )
