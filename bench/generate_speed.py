"""Generation throughput through `Generator.generate()`: chars/s and lines/s for one stream and
for 16 streams sampled together, and words/s for the word model.

Each figure is the median over a few requests (different RNG seeds, so the same text each run
of the benchmark), after one warm-up request. `lines=None`: every request writes exactly
`max_tokens` tokens per stream, so runs are comparable.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bench.common import Context, chars_per_line, median, torch_threads
from bench.serving import Server, text_counts
from lyriccore.reference import plain_sample
from lyriccore.sampling import SamplingParams

log = logging.getLogger(__name__)
SEED = "we drift"
WARMUP_TOKENS = 100


def throughput(
    server: Server, params: SamplingParams, repeats: int, line_length: float
) -> dict[str, Any]:
    """Median rates over `repeats` requests, after one short warm-up request. A briefly trained
    model breaks lines where it likes, so lines/s is also given at the corpus's line length."""
    warmup = SamplingParams(**{**params.to_dict(), "max_tokens": WARMUP_TOKENS, "rng_seed": 0})
    server.request(SEED, warmup)
    runs = [_one_request(server, params.with_seed(i)) for i in range(1, repeats + 1)]
    figures = {key: median([r[key] for r in runs]) for key in runs[0]}
    figures["lines_per_s_at_corpus_line_length"] = figures["chars_per_s"] / line_length
    return {"streams": params.samples, "max_tokens": params.max_tokens, **figures}


def _one_request(server: Server, params: SamplingParams) -> dict[str, float]:
    result, seconds = server.request(SEED, params)
    counts = text_counts(result)
    steps = counts["tokens"] / params.samples
    return {
        "seconds": seconds,
        "chars_per_s": counts["chars"] / seconds,
        "lines_per_s": counts["lines"] / seconds,
        "words_per_s": counts["words"] / seconds,
        "tokens_per_s": counts["tokens"] / seconds,
        "ms_per_step": 1000 * seconds / max(1.0, steps),
        "chars_per_line": counts["chars"] / max(1, counts["lines"]),
    }


def same_text(server: Server, requests: int) -> dict[str, int]:
    """Served text against lyriccore.reference's plain torch path, seed by seed (8 lines, bot
    settings, a few knobs varied): how many of the requests wrote exactly the same text."""
    same = 0
    for i in range(requests):
        params = SamplingParams(
            lines=8, max_tokens=960, rng_seed=i, top_k=(0, 20)[i % 2], repetition_penalty=1.2
        )
        served = server.request(SEED, params)[0].texts
        same += served == plain_sample(server.generator.model, SEED, params)
    return {"requests": requests, "identical": same}


def generation(ctx: Context, char_model: Path, word_model: Path, threads: int) -> dict[str, Any]:
    sizes = ctx.sizes
    line_length = chars_per_line(ctx.text)
    report: dict[str, Any] = {
        "generation_threads": threads,
        "seed": SEED,
        "temperature": SamplingParams().temperature,
        "corpus_chars_per_line": line_length,
    }
    with torch_threads(1):
        with Server(char_model, threads, weights="fp32") as reference:
            # the plain path is fp32: int8 serving is held to batch-independence in the tests
            report["char_same_text_as_plain_path"] = same_text(reference, sizes.plain_checks)
        with Server(char_model, threads) as server:
            report["char_model"] = server.model_info
            for key, streams in (("char_1_stream", 1), ("char_16_streams", 16)):
                log.info("char generation, %d stream(s)", streams)
                params = SamplingParams(lines=None, max_tokens=sizes.gen_tokens, samples=streams)
                report[key] = throughput(server, params, sizes.gen_repeats, line_length)
        with Server(word_model, threads) as server:
            report["word_model"] = server.model_info
            log.info("word generation, 1 stream")
            params = SamplingParams(lines=None, max_tokens=sizes.gen_word_tokens)
            report["word_1_stream"] = throughput(server, params, sizes.gen_repeats, line_length)
    return report
