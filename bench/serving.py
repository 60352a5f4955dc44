"""Generation the way the bot runs it: a loaded model behind `Generator` with the bot's number
of batch threads, torch on one thread."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bench.common import timed
from lyriccore.checkpoint import load_model
from lyriccore.generator import GenerationResult, Generator
from lyriccore.sampling import SamplingParams

# A word is a run of letters/digits (apostrophes inside allowed); punctuation is not a word.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


class Server:
    """One model served as the bot serves it; use as a context manager."""

    def __init__(self, model_dir: Path, threads: int, weights: str = "auto") -> None:
        loaded, self.load_seconds = timed(lambda: load_model(model_dir))
        self.generator = Generator(loaded, threads=threads, weights=weights)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.generator.close()

    def request(self, seed: str, params: SamplingParams) -> tuple[GenerationResult, float]:
        """One request through the batch threads; returns the result and the caller's wall time."""
        return timed(lambda: self.generator.generate(seed, params))

    @property
    def model_info(self) -> dict[str, Any]:
        loaded = self.generator.model
        metrics = loaded.metrics[-1] if loaded.metrics else {}
        return {
            "version": loaded.version,
            "vocab_size": loaded.config.vocab_size,
            "hidden_size": loaded.config.hidden_size,
            "num_layers": loaded.config.num_layers,
            "val_loss": metrics.get("val_loss"),
            "load_seconds": self.load_seconds,
        }


def text_counts(result: GenerationResult) -> dict[str, int]:
    """What a reader counts in the continuations (the seed excluded)."""
    texts = result.continuations
    return {
        "tokens": result.tokens_generated,
        "chars": sum(len(t) for t in texts),
        "words": sum(len(_WORD.findall(t)) for t in texts),
        "lines": sum(1 for t in texts for line in t.split("\n") if line.strip()),
    }
