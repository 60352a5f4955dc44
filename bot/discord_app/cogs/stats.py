"""/stats: what this server generated and how people rated it, in numbers and a chart."""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import LyricBot
from bot.discord_app.formatting import NO_PINGS, format_stats
from bot.services.evaluation import load_evaluation
from bot.services.plots import ratings_png

CHART_FILENAME = "ratings.png"


class StatsCog(commands.Cog):
    def __init__(self, bot: LyricBot) -> None:
        self.bot = bot

    @app_commands.command(name="stats", description="Generations and ratings in this server")
    async def stats(self, interaction: discord.Interaction) -> None:
        # Drawing takes a moment on a busy machine: acknowledge first, within Discord's 3 s.
        await interaction.response.defer(thinking=True)
        db = self.bot.services.db
        report = await db.stats(interaction.guild_id)
        png = await asyncio.to_thread(ratings_png, await load_evaluation(db, interaction.guild_id))
        await interaction.followup.send(
            format_stats(report),
            file=discord.File(io.BytesIO(png), filename=CHART_FILENAME),
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: LyricBot) -> None:
    await bot.add_cog(StatsCog(bot))
