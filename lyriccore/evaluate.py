"""Held-out scoring of a trained model: perplexity, bits per char, sample text metrics, and
song metrics (songmetrics.py) of free and shaped generation."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import torch

from lyriccore.batching import lanes
from lyriccore.checkpoint import LoadedModel
from lyriccore.corpus import Corpus
from lyriccore.errors import CorpusError
from lyriccore.generator import Generator
from lyriccore.model import input_ids
from lyriccore.model_words import model_words
from lyriccore.sampling import SamplingParams
from lyriccore.seeds import prepare_seed, seed_input
from lyriccore.songmetrics import SongForm, song_metrics
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
    songs: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "loss": self.loss,
            "perplexity": self.perplexity,
            "bits_per_char": self.bits_per_char,
            "unknown_rate": self.unknown_rate,
            "tokens": self.tokens,
            "samples": self.samples,
            **({"songs": self.songs} if self.songs else {}),
        }


@dataclass(frozen=True)
class HeldOutScore:
    loss: float
    bits_per_char: float
    unknown_rate: float
    tokens: int


def score_text(loaded: LoadedModel, text: str) -> HeldOutScore:
    """Score `text` as songs that name no style."""
    return score_corpus(loaded, Corpus(text, 1, (), loaded.tokenizer.lowercase))


def score_corpus(loaded: LoadedModel, corpus: Corpus) -> HeldOutScore:
    """Score every token of `corpus` (unknown ones count as <unk>), each song after its style
    token as in training.

    Bits per char divides the total information by characters, so models with different
    vocabularies or levels can be compared on the same text. The style tokens are read, not
    scored as text: the loss per token covers them, the characters do not.
    """
    text = corpus.text
    encoded = loaded.tokenizer.encode_corpus(corpus)
    ids = input_ids(loaded.config, encoded.ids, encoded.slots)
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


def continuation_nll(loaded: LoadedModel, text: str, style: str | None = None) -> float:
    """Mean NLL per token the model gives `text` written from an empty seed in `style` (its
    own output: every token is in the vocabulary)."""
    tokenizer, model = loaded.tokenizer, loaded.model
    seed = prepare_seed(tokenizer, "", style)
    written = torch.tensor([tokenizer.encode(text)], dtype=torch.long)
    written += model.style_offset(seed.slot)
    inputs = torch.cat([seed_input(model, tokenizer, seed), written], dim=1)
    if inputs.size(1) < 2:
        return 0.0
    with torch.inference_mode():
        logits, _ = model(inputs[:, :-1])
        targets = model.tokens_of(inputs[0, 1:])
        return float(torch.nn.functional.cross_entropy(logits[0].float(), targets))


def song_report(
    generator: Generator,
    params: SamplingParams,
    form: SongForm,
    training_text: str,
    seeds: list[int],
) -> dict[str, Any]:
    """Song metrics (held to `form`) on samples from fixed RNG seeds, with the chosen lines'
    mean NLL per token and the wall time."""
    loaded, started = generator.model, time.perf_counter()
    texts = [generator.generate("", params.with_seed(s)).continuations for s in seeds]
    seconds = time.perf_counter() - started
    flat = [t for group in texts for t in group]
    nll = [continuation_nll(loaded, t, params.style) for t in flat]
    return {
        **song_metrics(flat, form, model_words(loaded), training_text),
        "nll_per_token": sum(nll) / len(nll) if nll else 0.0,
        "seconds": seconds,
    }


def evaluate_model(
    loaded: LoadedModel,
    corpus: Corpus,
    *,
    samples: int = 8,
    lines: int = 8,
    rng_seed: int = 0,
    shaped: SamplingParams | None = None,
    training_text: str | None = None,
) -> Evaluation:
    """Held-out scores plus text metrics on generated samples; with `shaped`, song metrics of
    free and shaped generation on the same seeds (copies looked up in `training_text`)."""
    score = score_corpus(loaded, corpus)
    generator = Generator(loaded)
    params = SamplingParams(samples=samples, lines=lines, rng_seed=rng_seed)
    texts = generator.generate("", params).continuations
    songs: dict[str, Any] = {}
    if shaped is not None:
        seeds, reference = [rng_seed], training_text or corpus.text
        free = replace(shaped, scheme=None, syllables=None, best_of=1, words="off")
        form = SongForm(shaped.scheme, shaped.syllables, shaped.near_rhyme)
        songs = {
            "params": shaped.to_dict(),
            "free": song_report(generator, free, form, reference, seeds),
            "shaped": song_report(generator, shaped, form, reference, seeds),
        }
    generator.close()
    return Evaluation(
        loss=score.loss,
        perplexity=math.exp(min(score.loss, 50.0)),
        bits_per_char=score.bits_per_char,
        unknown_rate=score.unknown_rate,
        tokens=score.tokens,
        samples=text_metrics(texts).to_dict(),
        songs=songs,
    )
