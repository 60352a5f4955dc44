"""Latency of a typical /lyrics request, as the bot builds it: seed "we drift", 8 lines,
temperature 0.8, at most 120 tokens a line, one stream, on the char model.

The bot answers only when the whole text is ready, so `request_ms` is what a user waits for
(engine side: no Discord, queue or database). `first_token_ms` is the same request capped at
one token: normalising and feeding the seed plus one sampling step, the floor of any answer.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bench.common import Context, median, percentile, torch_threads
from bench.serving import Server, text_counts
from lyriccore.sampling import SamplingParams

log = logging.getLogger(__name__)
SEED = "we drift"
LINES = 8
TOKENS_PER_LINE = 120  # the bot's cap: max_tokens = lines × 120


def bot_params(rng_seed: int, max_tokens: int = LINES * TOKENS_PER_LINE) -> SamplingParams:
    return SamplingParams(temperature=0.8, lines=LINES, max_tokens=max_tokens, rng_seed=rng_seed)


def _summary(millis: list[float]) -> dict[str, float]:
    return {"median": median(millis), "p95": percentile(millis, 95), "max": max(millis)}


def latency(ctx: Context, char_model: Path, threads: int) -> dict[str, Any]:
    requests = ctx.sizes.latency_requests
    first, full, lines, tokens = [], [], [], []
    with torch_threads(1), Server(char_model, threads) as server:
        server.request(SEED, bot_params(0))  # warm-up
        log.info("latency, %d requests", requests)
        for i in range(1, requests + 1):
            _, seconds = server.request(SEED, bot_params(i, max_tokens=1))
            first.append(1000 * seconds)
            result, seconds = server.request(SEED, bot_params(i))
            full.append(1000 * seconds)
            counts = text_counts(result)
            lines.append(counts["lines"])
            tokens.append(counts["tokens"])
    return {
        "seed": SEED,
        "lines": LINES,
        "requests": requests,
        "generation_threads": threads,
        "first_token_ms": _summary(first),
        "request_ms": _summary(full),
        "tokens_per_request": median(tokens),
        "ms_per_token": median([ms / max(1, n) for ms, n in zip(full, tokens, strict=True)]),
        "lines_per_request": median(lines),
    }
