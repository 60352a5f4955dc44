"""Ratings by reaction, from raw gateway events so old messages count after a restart."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.discord_app.client import LyricBot

log = logging.getLogger(__name__)


class RatingsCog(commands.Cog):
    def __init__(self, bot: LyricBot) -> None:
        self.bot = bot

    def _counts(self, payload: discord.RawReactionActionEvent) -> bool:
        """Our own reactions are the rating buttons, not votes."""
        return self.bot.user is None or payload.user_id != self.bot.user.id

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if not self._counts(payload):
            return
        score = await self.bot.services.ratings.reaction_added(
            payload.message_id, payload.user_id, str(payload.emoji)
        )
        if score is not None:
            log.info("user %s rated message %s: %d", payload.user_id, payload.message_id, score)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if not self._counts(payload):
            return
        withdrawal = await self.bot.services.ratings.reaction_removed(
            payload.message_id, payload.user_id, str(payload.emoji)
        )
        if withdrawal is not None:
            log.info(
                "user %s took %d off message %s; rating now %s",
                payload.user_id, withdrawal.removed, payload.message_id, withdrawal.now,
            )  # fmt: skip


async def setup(bot: LyricBot) -> None:
    await bot.add_cog(RatingsCog(bot))
