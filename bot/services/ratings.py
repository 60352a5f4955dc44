"""Ratings: a user's 1–5 score for a generation, given by reacting to the answer.

Works from raw message ids so that ratings still count on messages sent before a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage import Database


@dataclass(frozen=True)
class Withdrawal:
    """What taking a rating reaction off did: the score it meant, and the rating left."""

    removed: int
    now: int | None


class RatingService:
    def __init__(self, db: Database, emojis: tuple[str, ...]) -> None:
        self.db = db
        self.emojis = emojis
        self._scores = {emoji: score for score, emoji in enumerate(emojis, start=1)}

    def score_for(self, emoji: str) -> int | None:
        return self._scores.get(emoji)

    async def reaction_added(self, message_id: int, user_id: int, emoji: str) -> int | None:
        """Record the rating a reaction means; returns the score, or None if it was not a
        rating (another emoji, or a message that is not one of our answers)."""
        found = await self._rating_reaction(message_id, emoji)
        if found is None:
            return None
        generation_id, score = found
        await self.db.add_reaction_rating(generation_id, user_id, score)
        return score

    async def reaction_removed(
        self, message_id: int, user_id: int, emoji: str
    ) -> Withdrawal | None:
        """Take a rating reaction off: the rating falls back to the user's latest reaction still
        on the answer (none left: no rating). None if the reaction was not a rating."""
        found = await self._rating_reaction(message_id, emoji)
        if found is None:
            return None
        generation_id, score = found
        now = await self.db.remove_reaction_rating(generation_id, user_id, score)
        return Withdrawal(removed=score, now=now)

    async def _rating_reaction(self, message_id: int, emoji: str) -> tuple[int, int] | None:
        """(generation, score) for a rating emoji on one of our answers, else None."""
        score = self.score_for(emoji)
        if score is None:
            return None
        generation_id = await self.db.generation_for_message(message_id)
        return None if generation_id is None else (generation_id, score)

    async def rate(self, generation_id: int, user_id: int, score: int) -> None:
        await self.db.set_rating(generation_id, user_id, score)
