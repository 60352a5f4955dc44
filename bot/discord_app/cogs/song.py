"""/song: a whole song in a form, with a chorus that comes back, answered in one message and
held like /lyrics until it is shown (answers.py)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.answers import answer_interaction
from bot.discord_app.checks import channel_allowed, lyrics_rate
from bot.discord_app.client import LyricBot
from bot.discord_app.options import SHARED_HELP, WORD_CHOICES, style_offers
from bot.services.lyrics import DEFAULT_FORM, LyricsRequest


class SongCog(commands.Cog):
    def __init__(self, bot: LyricBot) -> None:
        self.bot = bot

    @app_commands.command(name="song", description="Write a song: verses and a chorus")
    @app_commands.describe(
        **SHARED_HELP,
        form=f"Sections joined by '-' (default {DEFAULT_FORM})",
        scheme="Rhyme scheme for every section: AABB, ABAB… (free = none)",
        rng_seed="Same seed and settings give the same song",
    )
    @app_commands.choices(words=WORD_CHOICES)
    @app_commands.check(lyrics_rate)
    @app_commands.check(channel_allowed)
    async def song(
        self,
        interaction: discord.Interaction,
        seed: app_commands.Range[str, 1, 200],
        form: app_commands.Range[str, 1, 120] | None = None,
        scheme: app_commands.Range[str, 1, 20] | None = None,
        syllables: app_commands.Range[str, 1, 60] | None = None,
        words: str | None = None,
        temperature: app_commands.Range[float, 0.1, 2.0] | None = None,
        rng_seed: app_commands.Range[int, 0, 2**31 - 1] | None = None,
        style: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        request = LyricsRequest(
            seed=seed, temperature=temperature, scheme=scheme, syllables=syllables,
            words=words, rng_seed=rng_seed, style=style, form=form, kind="song",
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id, user_id=interaction.user.id,
            interaction_id=interaction.id,
        )  # fmt: skip
        await answer_interaction(self.bot, interaction, request)

    @song.autocomplete("style")
    async def styles(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return style_offers(self.bot.services.engine, None, current)


async def setup(bot: LyricBot) -> None:
    await bot.add_cog(SongCog(bot))
