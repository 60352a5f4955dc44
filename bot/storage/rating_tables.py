"""SQL text and row records for reading the ratings as a human evaluation: score counts per
slice, the best and worst rated answers, ratings per day.

Scores are whole numbers 1–5, so per-slice counts of each score are all that means,
confidence intervals and rank tests need: a few rows per slice, whatever the number of ratings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.backend import Row
from bot.storage.dialect import with_json_fields
from bot.storage.stats import SCHEME_KEY, TEMPERATURE_KEY

SCORE_COUNTS = with_json_fields(
    """
SELECT g.model_version AS model_version,
       {temperature} AS temperature,
       {scheme} AS scheme,
       r.score AS score,
       COUNT(*) AS n
FROM ratings AS r JOIN generations AS g ON g.id = r.generation_id
WHERE CAST(:guild_id AS BIGINT) IS NULL OR g.guild_id = :guild_id
GROUP BY g.model_version, temperature, scheme, r.score
""",
    temperature=("g.params_json", TEMPERATURE_KEY),
    scheme=("g.params_json", SCHEME_KEY),
)

# :order is 1 for the best first, -1 for the worst first; ties go to the most raters.
RATED_ANSWERS = """
SELECT g.id AS id, g.created_at AS created_at, g.seed AS seed, g.output AS output,
       g.model_version AS model_version, COUNT(*) AS raters, AVG(r.score) AS mean
FROM generations AS g JOIN ratings AS r ON r.generation_id = g.id
WHERE (CAST(:guild_id AS BIGINT) IS NULL OR g.guild_id = :guild_id) AND g.output IS NOT NULL
GROUP BY g.id
HAVING COUNT(*) >= :min_raters AND AVG(r.score) >= :min_mean
ORDER BY AVG(r.score) * :order DESC, COUNT(*) DESC, g.id
LIMIT :limit
"""

RATINGS_BY_DAY = """
SELECT substr(r.rated_at, 1, 10) AS day, COUNT(*) AS n, AVG(r.score) AS mean
FROM ratings AS r JOIN generations AS g ON g.id = r.generation_id
WHERE CAST(:guild_id AS BIGINT) IS NULL OR g.guild_id = :guild_id
GROUP BY day
ORDER BY day
"""


@dataclass(frozen=True, slots=True)
class ScoreCount:
    """How many ratings of ``score`` generations of one model, temperature and scheme got."""

    model_version: str
    temperature: object
    scheme: str | None
    score: int
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RatedAnswer:
    """One answer with its mean rating and how many people rated it."""

    id: int
    created_at: datetime
    seed: str
    output: str
    model_version: str
    raters: int
    mean: float


@dataclass(frozen=True, slots=True)
class DailyRatings:
    """Ratings given on one UTC day (``day`` as YYYY-MM-DD) and their mean."""

    day: str
    ratings: int
    mean: float


def score_count(row: Row) -> ScoreCount:
    scheme = row["scheme"]
    return ScoreCount(
        model_version=str(row["model_version"]),
        temperature=row["temperature"],
        scheme=scheme if isinstance(scheme, str) and scheme else None,
        score=int(row["score"]),
        count=int(row["n"]),
    )


def rated_answer(row: Row) -> RatedAnswer:
    return RatedAnswer(
        id=int(row["id"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        seed=str(row["seed"]),
        output=str(row["output"]),
        model_version=str(row["model_version"]),
        raters=int(row["raters"]),
        mean=float(row["mean"]),
    )


def daily_ratings(row: Row) -> DailyRatings:
    return DailyRatings(day=str(row["day"]), ratings=int(row["n"]), mean=float(row["mean"]))
