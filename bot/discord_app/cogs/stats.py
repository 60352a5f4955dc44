"""/stats: what this server generated and how people rated it."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import LyricBot
from bot.discord_app.formatting import NO_PINGS, format_stats


class StatsCog(commands.Cog):
    def __init__(self, bot: LyricBot) -> None:
        self.bot = bot

    @app_commands.command(name="stats", description="Generations and ratings in this server")
    async def stats(self, interaction: discord.Interaction) -> None:
        report = await self.bot.services.db.stats(interaction.guild_id)
        await interaction.response.send_message(format_stats(report), allowed_mentions=NO_PINGS)


async def setup(bot: LyricBot) -> None:
    await bot.add_cog(StatsCog(bot))
