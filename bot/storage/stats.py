"""Turning per-(model version, temperature) sums into a ``StatsReport``.

SQL groups by the raw temperature (there are only a few distinct values) and Python assigns
bands, so the band edges live in one readable table instead of a generated ``CASE``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from bot.storage.records import GroupStats, StatsReport

TEMPERATURE_KEY = "temperature"
"""The key in ``params`` that holds the sampling temperature."""
SCHEME_KEY, WORDS_KEY, STYLE_KEY = "scheme", "words", "style"
"""The keys in ``params`` that hold the rhyme scheme, the word mode and the style."""
NO_STYLE = "any"
"""The style group of answers that asked for none (the generic token)."""

TEMPERATURE_BANDS: tuple[tuple[str, float], ...] = (
    ("<0.5", 0.5),
    ("0.5-0.8", 0.8),
    ("0.8-1.1", 1.1),
    ("1.1-1.5", 1.5),
    (">=1.5", math.inf),
)
"""(label, exclusive upper edge): each band includes its lower edge, so 0.8 is in 0.8-1.1."""

UNKNOWN_BAND = "unknown"
"""Band for generations whose params carry no numeric temperature."""


def temperature_band(temperature: object) -> str:
    """The band label for a temperature, or ``UNKNOWN_BAND`` when it is missing or not a number."""
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        return UNKNOWN_BAND
    if math.isnan(temperature):
        return UNKNOWN_BAND
    for label, upper in TEMPERATURE_BANDS:
        if temperature < upper:
            return label
    return UNKNOWN_BAND


@dataclass(frozen=True, slots=True)
class SliceSums:
    """Sums for generations sharing one model version and one temperature, from SQL."""

    model_version: str
    temperature: object
    generations: int
    ratings: int
    score_sum: int
    scheme: str | None = None
    words: str | None = None
    kind: str = "lyrics"
    style: str | None = None


class _Tally:
    """Mutable running totals for one group while the report is assembled."""

    __slots__ = ("generations", "ratings", "score_sum")

    def __init__(self) -> None:
        self.generations = 0
        self.ratings = 0
        self.score_sum = 0

    def add(self, sums: SliceSums) -> None:
        self.generations += sums.generations
        self.ratings += sums.ratings
        self.score_sum += sums.score_sum

    def freeze(self, key: str) -> GroupStats:
        mean = self.score_sum / self.ratings if self.ratings else None
        return GroupStats(key, self.generations, self.ratings, mean)


def build_report(guild_id: int | None, slices: Iterable[SliceSums]) -> StatsReport:
    """Fold slices into totals, per-model rows (sorted by name) and per-band rows.

    All five temperature bands are always listed, empty ones with zero counts, so a report
    has the same shape whatever the data; "unknown" is listed only when it has generations.
    """
    total = _Tally()
    models: dict[str, _Tally] = {}
    bands: dict[str, _Tally] = {label: _Tally() for label, _ in TEMPERATURE_BANDS}
    bands[UNKNOWN_BAND] = _Tally()
    schemes: dict[str, _Tally] = {}
    words: dict[str, _Tally] = {}
    kinds: dict[str, _Tally] = {}
    styles: dict[str, _Tally] = {}
    for sums in slices:
        total.add(sums)
        models.setdefault(sums.model_version, _Tally()).add(sums)
        bands[temperature_band(sums.temperature)].add(sums)
        schemes.setdefault(sums.scheme or "free", _Tally()).add(sums)
        words.setdefault(sums.words or "off", _Tally()).add(sums)
        kinds.setdefault(sums.kind, _Tally()).add(sums)
        styles.setdefault(sums.style or NO_STYLE, _Tally()).add(sums)
    if bands[UNKNOWN_BAND].generations == 0:
        del bands[UNKNOWN_BAND]
    overall = total.freeze("all")
    return StatsReport(
        guild_id=guild_id,
        total_generations=overall.generations,
        total_ratings=overall.ratings,
        mean_rating=overall.mean_rating,
        by_model_version=tuple(models[name].freeze(name) for name in sorted(models)),
        by_temperature_band=tuple(tally.freeze(label) for label, tally in bands.items()),
        by_scheme=tuple(schemes[key].freeze(key) for key in sorted(schemes)),
        by_words=tuple(words[key].freeze(key) for key in sorted(words)),
        by_kind=tuple(kinds[key].freeze(key) for key in sorted(kinds)),
        by_style=tuple(styles[key].freeze(key) for key in sorted(styles)),
    )
