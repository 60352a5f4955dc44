"""Text metrics on generated lyrics: how varied and how song-like the output is."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lyriccore.tokenizer import split_words


@dataclass(frozen=True)
class TextMetrics:
    distinct_1: float
    distinct_2: float
    distinct_3: float
    repeated_line_rate: float
    mean_line_length: float
    lines: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def distinct_n(words: list[str], n: int) -> float:
    """Unique n-grams over all n-grams: 1.0 never repeats, near 0 loops."""
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def text_metrics(samples: list[str]) -> TextMetrics:
    lines = [line.strip() for s in samples for line in s.split("\n") if line.strip()]
    words = [w.lower() for s in samples for w in split_words(s) if w != "\n"]
    repeated = len(lines) - len(set(lines))
    return TextMetrics(
        distinct_1=distinct_n(words, 1),
        distinct_2=distinct_n(words, 2),
        distinct_3=distinct_n(words, 3),
        repeated_line_rate=repeated / len(lines) if lines else 0.0,
        mean_line_length=sum(map(len, lines)) / len(lines) if lines else 0.0,
        lines=len(lines),
    )
