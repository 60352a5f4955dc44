"""Typed records passed in and out of the database.

Services build and read these instead of tuples or ``sqlite3.Row`` so that a column rename is a
type error in one place, not a ``KeyError`` at runtime in a handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal, get_args

Source = Literal["discord", "console"]
Status = Literal["ok", "error", "timeout", "cancelled"]

SOURCES: frozenset[str] = frozenset(get_args(Source))
STATUSES: frozenset[str] = frozenset(get_args(Status))


def to_utc_text(moment: datetime) -> str:
    """Format a moment as fixed-width UTC ISO text, so text order is time order in SQL."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware; naive times are ambiguous")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def utc_now_text() -> str:
    """The current moment in the stored timestamp format."""
    return to_utc_text(datetime.now(UTC))


@dataclass(frozen=True, slots=True, kw_only=True)
class NewGeneration:
    """Everything logged about one generation, built by the service once the answer is known.

    ``params`` holds every sampling parameter (temperature, top_k, max_tokens, …) so a rating
    can later be tied to the exact settings; it is copied and frozen so that a caller mutating
    its dict afterwards cannot change what gets logged. ``created_at`` defaults to the moment
    of insertion; pass the request time when the generation took long enough to matter.
    """

    source: Source
    seed: str
    params: Mapping[str, Any]
    model_version: str
    status: Status
    output: str | None = None
    latency_ms: float | None = None
    rng_seed: int | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    interaction_id: int | None = None
    error: str | None = None
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {sorted(SOURCES)}, got {self.source!r}")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}, got {self.status!r}")
        if not isinstance(self.params, Mapping) or not all(isinstance(k, str) for k in self.params):
            raise ValueError("params must be a mapping with string keys")
        if self.created_at is not None and self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationRow:
    """One logged generation as stored, including the Discord message it was posted as."""

    id: int
    created_at: datetime
    source: Source
    guild_id: int | None
    channel_id: int | None
    user_id: int | None
    message_id: int | None
    interaction_id: int | None
    seed: str
    params: Mapping[str, Any]
    rng_seed: int | None
    model_version: str
    output: str | None
    latency_ms: float | None
    status: Status
    error: str | None


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Counts for one slice of the log (a model version or a temperature band).

    ``mean_rating`` averages individual ratings, so a generation rated by five people weighs
    five times one rated by one person; it is ``None`` when the slice has no ratings.
    """

    key: str
    generations: int
    ratings: int
    mean_rating: float | None


@dataclass(frozen=True, slots=True)
class StatsReport:
    """Summary for ``/stats`` and for comparing model versions and sampling temperatures."""

    guild_id: int | None
    total_generations: int
    total_ratings: int
    mean_rating: float | None
    by_model_version: tuple[GroupStats, ...]
    by_temperature_band: tuple[GroupStats, ...]
