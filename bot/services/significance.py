"""The statistics of the evaluation report, in plain Python: a 95 % confidence interval for a
mean rating and the Mann–Whitney U test between two groups of ratings.

Both work on counts (value → how many times it was given), which is how the ratings come out
of the database. No scipy: these are a few lines each, and the U test uses its normal
approximation with the tie correction and a continuity correction, which is what
``scipy.stats.mannwhitneyu(x, y, method="asymptotic")`` computes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

_T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
"""Student's t 97.5 % quantiles for 1–30 degrees of freedom (any statistics table)."""

_Z_975 = NormalDist().inv_cdf(0.975)

Counts = Mapping[float, int]
"""A sample as value → how many times that value occurs."""


def t_quantile_975(df: int) -> float:
    """Student's t 97.5 % quantile: the table up to 30 degrees of freedom, above that the
    Cornish–Fisher expansion around the normal quantile (within 1e-4 of the exact value)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if df <= len(_T_975):
        return _T_975[df - 1]
    z = _Z_975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_ci95(counts: Counts) -> tuple[float, float] | None:
    """The t interval around the mean; None below two values, where no spread is known."""
    n = sum(counts.values())
    if n < 2:
        return None
    mean = sum(value * k for value, k in counts.items()) / n
    variance = sum(k * (value - mean) ** 2 for value, k in counts.items()) / (n - 1)
    half = t_quantile_975(n - 1) * math.sqrt(variance / n)
    return mean - half, mean + half


@dataclass(frozen=True, slots=True)
class UTest:
    """Mann–Whitney U of the first sample against the second, and its two-sided p-value."""

    u: float
    p_value: float


def mann_whitney(first: Counts, second: Counts) -> UTest | None:
    """Two-sided U test (normal approximation, ties and continuity corrected); None when a
    sample is empty. Every value the same in both samples: no evidence, p = 1."""
    n1, n2 = sum(first.values()), sum(second.values())
    if not n1 or not n2:
        return None
    total = n1 + n2
    rank_sum, below, ties = 0.0, 0, 0
    for value in sorted(set(first) | set(second)):
        together = first.get(value, 0) + second.get(value, 0)
        rank_sum += first.get(value, 0) * (below + (together + 1) / 2)  # the mid-rank
        below += together
        ties += together**3 - together
    u = rank_sum - n1 * (n1 + 1) / 2
    variance = n1 * n2 / 12 * ((total + 1) - ties / (total * (total - 1)))
    if variance <= 0:
        return UTest(u, 1.0)
    shift = abs(u - n1 * n2 / 2)
    z = max(shift - 0.5, 0.0) / math.sqrt(variance)
    return UTest(u, min(1.0, 2 * (1 - NormalDist().cdf(z))))
