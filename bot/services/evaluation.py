"""The ratings as a human evaluation: mean and 95 % interval per model version, temperature
band and rhyme scheme, the 1–5 distribution, and U tests between model versions.

Built from the database's score counts, so ``/stats``'s chart and ``lyricbot report`` show
the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from bot.services.significance import UTest, mann_whitney, mean_ci95
from bot.storage import TEMPERATURE_BANDS, Database, ScoreCount, temperature_band

SCORES = (1, 2, 3, 4, 5)
FREE_SCHEME = "free"
"""The scheme label of generations written without a rhyme scheme."""


@dataclass(frozen=True, slots=True)
class RatingGroup:
    """The ratings of one slice: ``counts[i]`` is how many ratings of ``i + 1`` it got."""

    key: str
    counts: tuple[int, ...]

    @property
    def ratings(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        if not self.ratings:
            return None
        return sum(score * k for score, k in zip(SCORES, self.counts, strict=True)) / self.ratings

    @property
    def ci95(self) -> tuple[float, float] | None:
        """The t interval, cut to the 1–5 scale a mean cannot leave; None below two ratings."""
        interval = mean_ci95(dict(zip(SCORES, self.counts, strict=True)))
        if interval is None:
            return None
        return max(interval[0], SCORES[0]), min(interval[1], SCORES[-1])


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two model versions' ratings side by side; ``test`` is None when one has none."""

    first: RatingGroup
    second: RatingGroup
    test: UTest | None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every slice with at least one rating, in a stable order (names; bands low to high)."""

    overall: RatingGroup
    by_model_version: tuple[RatingGroup, ...]
    by_temperature_band: tuple[RatingGroup, ...]
    by_scheme: tuple[RatingGroup, ...]

    def model_comparisons(self) -> list[Comparison]:
        """Every pair of model versions, with a Mann–Whitney U test of their ratings."""
        return [
            Comparison(a, b, mann_whitney(_as_counts(a), _as_counts(b)))
            for a, b in combinations(self.by_model_version, 2)
        ]


def _as_counts(group: RatingGroup) -> dict[float, int]:
    return dict(zip(SCORES, group.counts, strict=True))


class _Groups:
    """Score counts per key while the evaluation is assembled."""

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}

    def add(self, key: str, row: ScoreCount) -> None:
        self.counts.setdefault(key, [0] * len(SCORES))[row.score - 1] += row.count

    def frozen(self, order: Iterable[str]) -> tuple[RatingGroup, ...]:
        return tuple(RatingGroup(k, tuple(self.counts[k])) for k in order if k in self.counts)


def build_evaluation(rows: Iterable[ScoreCount]) -> Evaluation:
    """Fold score counts into groups; a slice nobody rated is left out."""
    overall, models, bands, schemes = _Groups(), _Groups(), _Groups(), _Groups()
    for row in rows:
        overall.add("all", row)
        models.add(row.model_version, row)
        bands.add(temperature_band(row.temperature), row)
        schemes.add(row.scheme or FREE_SCHEME, row)
    band_order = [label for label, _ in TEMPERATURE_BANDS] + sorted(
        set(bands.counts) - {label for label, _ in TEMPERATURE_BANDS}
    )
    return Evaluation(
        overall=RatingGroup("all", tuple(overall.counts.get("all", [0] * len(SCORES)))),
        by_model_version=models.frozen(sorted(models.counts)),
        by_temperature_band=bands.frozen(band_order),
        by_scheme=schemes.frozen(sorted(schemes.counts)),
    )


async def load_evaluation(db: Database, guild_id: int | None) -> Evaluation:
    """The evaluation of one guild's ratings, or of all of them with None."""
    return build_evaluation(await db.score_counts(guild_id))
