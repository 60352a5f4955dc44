"""Style tokens, measured on the starter model (issue 18).

Two questions, each against the generic token as the baseline:
- Does a song's own style token make its text likelier? Every held-out starter song (the
  split the bot holds out too) is scored after its own token and after the generic one, in
  nats per token (per character for the char model), per style.
- Does asking for a style write in that style? A classifier trained on the starter's training
  songs (TF-IDF of words and of character 2–5-grams, a linear SVM; scikit-learn) names the style
  of 8-line texts and whole songs the model writes for each style, as the bot writes them (its
  request validation and defaults: real words only) and at the engine's bare defaults (what
  `lyriccore generate` writes, invented words allowed); its accuracy on held-out real songs cut
  to the same length is the ceiling, one in nineteen the chance.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

from bench.common import Context
from bot.services.lyrics import LyricsRequest, validate
from bot.settings import Settings
from lyriccore.checkpoint import BEST, LoadedModel, load_model
from lyriccore.corpus import Document, build_corpus, split_held_out
from lyriccore.evaluate import score_corpus
from lyriccore.generator import Generator
from lyriccore.sampling import SamplingParams
from lyriccore.song import parse_form, write_song
from lyriccore.starter import STARTER_RECIPE, starter_documents
from lyriccore.styles import GENERIC, STYLE_STRENGTH
from lyriccore.trainer import train

log = logging.getLogger(__name__)
LINES = 8  # what /lyrics writes by default, and the length the classifier judges
SEEDS = ("we drift", "the night", "i remember", "down by the water")
BOT = Settings(token="")  # the bot's defaults: what a request that sets nothing is answered with


def style_figures(ctx: Context, model: Path | None) -> dict[str, Any]:
    """Per-style held-out NLL (own token vs generic) and classifier accuracy of generated
    text; `model` is a trained starter model, or None to train one with the starter recipe."""
    loaded = load_model(model or _train_starter(ctx))
    train_songs, heldout = split_held_out(starter_documents())
    classifier = _classifier(train_songs)
    samples = ctx.sizes.style_samples
    answers = _generated_accuracy(loaded, classifier, samples, bot=True)
    bot_songs = _generated_accuracy(loaded, classifier, samples, bot=True, songs=True)
    trained = {
        "answers": _generated_accuracy(loaded, classifier, samples, bot=True, strength=1.0),
        "songs": _generated_accuracy(loaded, classifier, samples, bot=True, songs=True,
                                     strength=1.0),
    }  # fmt: skip
    asked = _generated_accuracy(loaded, classifier, samples)
    generic = _generated_accuracy(loaded, classifier, samples, generic=True)
    songs = _generated_accuracy(loaded, classifier, samples, songs=True)
    nll = _per_style_nll(loaded, heldout)
    served = _per_style_nll(loaded.with_style_strength(STYLE_STRENGTH), heldout)
    lower = sum(1 for s in nll.values() if s["own"] < s["generic"])
    return {
        "model": loaded.version,
        "styles": len(loaded.tokenizer.styles),
        "chance": 1 / len(loaded.tokenizer.styles),
        "style_strength": STYLE_STRENGTH,
        "heldout_nll_per_token": nll,
        "styles_where_own_token_is_lower": lower,
        "heldout_nll_mean": _mean_nll(nll),
        "heldout_nll_mean_at_style_strength": _mean_nll(served),
        "classifier_on_heldout_songs": _real_accuracy(classifier, heldout),
        "classifier_on_whole_heldout_songs": _real_accuracy(classifier, heldout, whole=True),
        "classifier_on_bot_answers": answers,
        "classifier_on_bot_songs": bot_songs,
        "classifier_on_bot_text_at_strength_1": trained,
        "classifier_on_generated_asked_style": asked,
        "classifier_on_generated_generic_token": generic,
        "classifier_on_generated_songs": songs,
        "example_we_drift_blues": _example(loaded, classifier, ctx.sizes.style_samples * 5),
        "samples_per_style": samples * len(SEEDS),
    }


def _train_starter(ctx: Context) -> Path:
    out = ctx.work_dir / "styles-starter"
    recipe = replace(STARTER_RECIPE, max_minutes=ctx.sizes.style_minutes)
    train_songs, _ = split_held_out(starter_documents())
    started = time.monotonic()
    train(build_corpus(train_songs, ("starter",)), recipe, out, progress=False)
    log.info("styles: starter model trained in %.1f min", (time.monotonic() - started) / 60)
    return out / BEST


def _classifier(songs: list[Document]) -> Pipeline:
    """Words and character n-grams together carry a style's vocabulary and spelling ("gonna",
    "yo ho"), which is what a reader hears as style at eight lines. Of the judges tried on the
    held-out chunks (logistic regression, naive Bayes and linear SVMs over word or char
    n-grams) this one scored best (bench/README.md)."""
    texts, labels = _chunks(songs)
    features = make_union(
        TfidfVectorizer(sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    pipeline = make_pipeline(features, LinearSVC())
    pipeline.fit(texts, labels)
    return pipeline


def _chunks(songs: list[Document]) -> tuple[list[str], list[str]]:
    """Songs cut into pieces of LINES lines, the length generated answers have."""
    texts, labels = [], []
    for song in songs:
        lines = [line for line in song.text.split("\n") if line.strip()]
        for start in range(0, max(1, len(lines) - LINES // 2), LINES):
            texts.append("\n".join(lines[start : start + LINES]))
            labels.append(song.style or GENERIC)
    return texts, labels


def _real_accuracy(classifier: Pipeline, heldout: list[Document], whole: bool = False) -> float:
    """On 8-line chunks of the held-out songs, or (`whole`) on each song whole: the figures
    generated /lyrics answers and /song songs are set against."""
    if whole:
        texts, labels = [d.text for d in heldout], [d.style or GENERIC for d in heldout]
    else:
        texts, labels = _chunks(heldout)
    predicted = classifier.predict(texts)
    return sum(p == t for p, t in zip(predicted, labels, strict=True)) / len(labels)


def _generated_accuracy(
    loaded: LoadedModel,
    classifier: Pipeline,
    samples: int,
    *,
    bot: bool = False,
    generic: bool = False,
    songs: bool = False,
    strength: float = STYLE_STRENGTH,
) -> dict[str, Any]:
    """Top-1 accuracy of the classifier on text written for each style: 8-line answers, or
    (`songs`) whole songs of the default form (the lyrics without their labels, a repeated
    chorus counted each time it is sung); with `bot`, as /lyrics and /song write them, else at
    the engine's defaults. With `generic`, the text is written from the generic style and
    judged against the style it stands in for (the baseline: what the model writes without
    being asked). The styles are served at `strength` (the default: the bot's)."""
    generator = Generator(loaded, style_strength=strength)
    per_style: dict[str, float] = {}
    try:
        for style in loaded.tokenizer.styles:
            texts = []
            for index, seed in enumerate(SEEDS):
                params = _params(seed, None if generic else style, 1000 + index, bot)
                if not songs:
                    texts += generator.generate(seed, replace(params, samples=samples)).texts
                    continue
                for n in range(samples):
                    one = params.with_seed(1000 + index * samples + n)
                    texts.append(_song_text(generator, seed, one))
            predicted = classifier.predict(texts)
            per_style[style] = sum(p == style for p in predicted) / len(texts)
    finally:
        generator.close()
    return {"top1": sum(per_style.values()) / len(per_style), "per_style": per_style}


def _example(loaded: LoadedModel, classifier: Pipeline, songs: int) -> dict[str, Any] | None:
    """The issue's own example, `/song seed:"we drift" style:blues` as the bot writes it, over
    RNG seeds 1…songs: how often the judge names each style (None for a model that knows no
    blues)."""
    if "blues" not in loaded.tokenizer.styles:
        return None
    generator = Generator(loaded)
    try:
        texts = [
            _song_text(generator, "we drift", _params("we drift", "blues", n, bot=True))
            for n in range(1, songs + 1)
        ]
    finally:
        generator.close()
    named = Counter(str(style) for style in classifier.predict(texts))
    return {"songs": songs, "named_blues": named["blues"] / songs, "named": dict(named)}


def _params(seed: str, style: str | None, rng_seed: int, bot: bool) -> SamplingParams:
    """A request that names only its seed, style and RNG seed: answered with the bot's
    validation and defaults (`bot`), or with the engine's."""
    if not bot:
        return SamplingParams(style=style, lines=LINES, rng_seed=rng_seed)
    request = LyricsRequest(seed, lines=LINES, style=style, rng_seed=rng_seed)
    return validate(request, BOT.max_lines, BOT.words)


def _song_text(generator: Generator, seed: str, params: SamplingParams) -> str:
    song = write_song(generator, seed, params, parse_form(None))
    return "\n\n".join(section.text for section in song.sections)


def _mean_nll(figures: dict[str, dict[str, float]]) -> dict[str, float]:
    """Over every held-out song (a style weighs as many songs as it has)."""
    songs = sum(f["songs"] for f in figures.values())
    return {k: sum(f[k] * f["songs"] for f in figures.values()) / songs for k in ("own", "generic")}


def _per_style_nll(loaded: LoadedModel, heldout: list[Document]) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    for style in sorted({d.style for d in heldout if d.style}):
        songs = [d for d in heldout if d.style == style]
        own = score_corpus(loaded, build_corpus(songs, ()))
        generic = score_corpus(loaded, build_corpus([Document(d.text) for d in songs], ()))
        figures[style] = {"songs": len(songs), "own": own.loss, "generic": generic.loss}
    return figures
