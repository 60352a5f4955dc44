"""SQL text and records for the preset bandit (services/presets.py): the ratings each preset
got, and each guild's pin and reset (the ``preset_state`` table).

A generation's preset is the ``preset`` key of its ``params_json``; a guild is a *scope*, its
id, with ``NO_GUILD`` (0, never a Discord id) for the console and direct messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.backend import Row
from bot.storage.dialect import with_json_fields

NO_GUILD = 0
PRESET_KEY = "preset"


@dataclass(frozen=True)
class PresetRatings:
    """The ratings of one preset, in one guild (``own``) or all the others together."""

    preset: str
    own: bool
    ratings: int
    score_sum: int


@dataclass(frozen=True)
class PresetState:
    """What an admin set for a guild: a pinned preset, and when its learning was last reset."""

    pinned: str | None
    reset_at: datetime | None


# Ratings of a generation made before its own guild's last reset no longer count, there or in
# the pool; the join goes from ratings (the smaller table) to generations by primary key.
PRESET_RATINGS = with_json_fields(
    """
SELECT COALESCE(g.guild_id, 0) = :scope AS own,
       {preset} AS preset,
       COUNT(*) AS ratings,
       SUM(r.score) AS score_sum
FROM ratings AS r
JOIN generations AS g ON g.id = r.generation_id
LEFT JOIN preset_state AS s ON s.scope = COALESCE(g.guild_id, 0)
WHERE {preset} IS NOT NULL
  AND (s.reset_at IS NULL OR g.created_at > s.reset_at)
GROUP BY own, preset
ORDER BY own, preset
""",
    preset=("g.params_json", PRESET_KEY),
)

PRESET_STATE = "SELECT pinned, reset_at FROM preset_state WHERE scope = ?"


def _set_state(column: str) -> str:
    """Set one column of a guild's state (a constant name; the value is a parameter), creating
    its row if it has none, without touching the other column."""
    return f"""
INSERT INTO preset_state (scope, {column}, updated_by, updated_at)
VALUES (:scope, :value, :by, :at)
ON CONFLICT (scope) DO UPDATE
    SET {column} = excluded.{column}, updated_by = excluded.updated_by,
        updated_at = excluded.updated_at
"""


PIN_PRESET = _set_state("pinned")
RESET_PRESETS = _set_state("reset_at")


def preset_ratings(row: Row) -> PresetRatings:
    return PresetRatings(
        preset=str(row["preset"]),
        own=bool(row["own"]),
        ratings=int(row["ratings"]),
        score_sum=int(row["score_sum"]),
    )


def preset_state(row: Row) -> PresetState:
    reset_at = row["reset_at"]
    return PresetState(
        pinned=row["pinned"],
        reset_at=datetime.fromisoformat(reset_at) if reset_at is not None else None,
    )
