"""Ratings: a user's 1–5 score for a generation, given by reacting to the answer.

Works from raw message ids so that ratings still count on messages sent before a restart.
"""

from __future__ import annotations

from bot.storage import Database


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
        score = self.score_for(emoji)
        if score is None:
            return None
        generation_id = await self.db.generation_for_message(message_id)
        if generation_id is None:
            return None
        await self.db.set_rating(generation_id, user_id, score)
        return score

    async def reaction_removed(self, message_id: int, user_id: int, emoji: str) -> bool:
        """Removing a reaction withdraws that score only if it is still the user's current
        one: taking off 3 after switching to 5 keeps the 5."""
        score = self.score_for(emoji)
        if score is None:
            return False
        generation_id = await self.db.generation_for_message(message_id)
        if generation_id is None:
            return False
        return await self.db.remove_rating(generation_id, user_id, score)

    async def rate(self, generation_id: int, user_id: int, score: int) -> None:
        await self.db.set_rating(generation_id, user_id, score)
