"""Song form (issue 11): what the constraints buy and what they cost, per model.

For each model, on the same fixed RNG seeds (empty seed, 8 lines, the bot's temperature 0.8):
free samples, strict words alone, and AABB / ABAB / ABCB with 8 syllables, best of 8 and strict
words, each scored by `lyriccore.evaluate.song_report` (real-word rate, rhyme adherence,
syllable accuracy, copied lines against the model's training text, distinct-n, mean NLL per
token of the kept lines). Then wall time: one request at a time (median), and 16 requests
submitted together (the batch serves them as one), free against ABAB·8·K8·strict; and
ABAB·8·strict at K = 1, 2, 4, 8, to choose the default K.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import Context, median, torch_threads
from lyriccore.checkpoint import load_model
from lyriccore.evaluate import song_report
from lyriccore.generator import Generator
from lyriccore.sampling import SamplingParams
from lyriccore.songmetrics import SongForm

log = logging.getLogger(__name__)
FREE = SamplingParams(temperature=0.8, lines=8, max_tokens=8 * 120)
STRICT = replace(FREE, words="strict")
SCHEMES = ("AABB", "ABAB", "ABCB")
SYLLABLES = (8,)
BEST_OF = 8
BEST_OF_SWEEP = (1, 2, 4, 8)
CONCURRENT = 16


def shaped(scheme: str) -> SamplingParams:
    return replace(STRICT, scheme=scheme, syllables=SYLLABLES, best_of=BEST_OF)


def songs(ctx: Context, models: list[tuple[str, Path, str]]) -> dict[str, Any]:
    """`models`: (name, model folder, its training text)."""
    seeds = list(range(ctx.sizes.song_seeds))
    return {name: _one_model(path, text, seeds) for name, path, text in models}


def _one_model(path: Path, training_text: str, seeds: list[int]) -> dict[str, Any]:
    with torch_threads(1):
        loaded = load_model(path)
        generator = Generator(loaded)
        started = time.perf_counter()
        generator.generate("", shaped("ABAB").with_seed(0))
        report: dict[str, Any] = {
            "model": loaded.version,
            "first_shaped_request_s": time.perf_counter() - started,
            "seeds": len(seeds),
        }
        runs = {"free": FREE, "strict_words": STRICT} | {s: shaped(s) for s in SCHEMES}
        for name, params in runs.items():
            log.info("songs: %s, %s", path.name, name)
            form = SongForm(params.scheme or "AABB", SYLLABLES)
            report[name] = {
                "params": params.to_dict(),
                **song_report(generator, params, form, training_text, seeds),
            }
        report["cost"] = _cost(generator, seeds)
        report["best_of"] = _best_of(generator, training_text, seeds)
        generator.close()
    return report


def _best_of(generator: Generator, training_text: str, seeds: list[int]) -> dict[str, Any]:
    """ABAB·8·strict for K = 1, 2, 4, 8: what each K buys and costs (choosing the default)."""
    form, sweep = SongForm("ABAB", SYLLABLES), {}
    for k in BEST_OF_SWEEP:
        params = replace(shaped("ABAB"), best_of=k)
        figures = song_report(generator, params, form, training_text, seeds)
        sweep[str(k)] = {
            "rhyme_adherence": figures["rhyme"]["adherence"],
            "syllables": figures["syllables"],
            "nll_per_token": figures["nll_per_token"],
            "seconds_per_request": figures["seconds"] / len(seeds),
        }
    return sweep


def _cost(generator: Generator, seeds: list[int]) -> dict[str, Any]:
    """Wall time of free against shaped /lyrics-like requests, alone and 16 together."""
    cost: dict[str, Any] = {}
    for name, params in (("free", FREE), ("shaped", shaped("ABAB"))):
        alone = []
        for seed in seeds:
            started = time.perf_counter()
            generator.generate("we drift", params.with_seed(seed))
            alone.append(time.perf_counter() - started)
        started = time.perf_counter()
        batch = [generator.submit("we drift", params.with_seed(s)) for s in range(CONCURRENT)]
        for future in batch:
            future.result()
        cost[name] = {
            "one_request_median_s": median(alone),
            f"{CONCURRENT}_together_s": time.perf_counter() - started,
        }
    cost["ratio_one_request"] = (
        cost["shaped"]["one_request_median_s"] / cost["free"]["one_request_median_s"]
    )
    key = f"{CONCURRENT}_together_s"
    cost[f"ratio_{CONCURRENT}_together"] = cost["shaped"][key] / cost["free"][key]
    return cost
