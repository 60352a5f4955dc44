"""/lyrics: defer, generate on the engine's workers, answer with rating reactions."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.answers import answer_interaction
from bot.discord_app.checks import channel_allowed, lyrics_rate
from bot.discord_app.client import LyricBot
from bot.discord_app.options import SHARED_HELP, WORD_CHOICES, style_offers
from bot.services.lyrics import LyricsRequest

SCHEMES = ("free", "AABB", "ABAB", "ABCB", "AAAA", "AABBCC", "ABABCC", "AABA")


class LyricsCog(commands.Cog):
    def __init__(self, bot: LyricBot) -> None:
        self.bot = bot

    @app_commands.command(name="lyrics", description="Write song lyrics that start from a seed")
    @app_commands.describe(
        **SHARED_HELP,
        top_p="Nucleus sampling: only the most likely words covering this share",
        top_k="Only pick among the k most likely next characters (0 = off)",
        lines="How many lines to write (default 8)",
        repetition_penalty="Discourage repeating recent text (1.0 = off)",
        anneal="Temperature to end with; it glides there from `temperature`",
        model="Which model writes",
        rng_seed="Same seed and settings give the same lyrics",
        scheme="Rhyme scheme, repeated over stanzas: AABB, ABAB, ABCB, AAAA… (free = none)",
        best_of="Write each line this many times and keep the best (default 8 with a scheme)",
    )
    @app_commands.choices(words=WORD_CHOICES)
    @app_commands.check(lyrics_rate)
    @app_commands.check(channel_allowed)
    async def lyrics(
        self,
        interaction: discord.Interaction,
        seed: app_commands.Range[str, 1, 200],
        temperature: app_commands.Range[float, 0.1, 2.0] | None = None,
        top_p: app_commands.Range[float, 0.05, 1.0] | None = None,
        top_k: app_commands.Range[int, 0, 200] | None = None,
        lines: app_commands.Range[int, 1, 32] | None = None,
        repetition_penalty: app_commands.Range[float, 1.0, 2.0] | None = None,
        anneal: app_commands.Range[float, 0.1, 2.0] | None = None,
        model: str | None = None,
        rng_seed: app_commands.Range[int, 0, 2**31 - 1] | None = None,
        scheme: app_commands.Range[str, 1, 20] | None = None,
        syllables: app_commands.Range[str, 1, 60] | None = None,
        best_of: app_commands.Range[int, 1, 16] | None = None,
        words: str | None = None,
        style: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        request = LyricsRequest(
            seed=seed, temperature=temperature, top_p=top_p, top_k=top_k, lines=lines,
            repetition_penalty=repetition_penalty, anneal=anneal, model=model,
            rng_seed=rng_seed, scheme=scheme, syllables=syllables, best_of=best_of,
            words=words, style=style, source="discord", guild_id=interaction.guild_id,
            channel_id=interaction.channel_id, user_id=interaction.user.id,
            interaction_id=interaction.id,
        )  # fmt: skip
        request = await self.bot.services.presets.choose(request)  # no sampling options
        await answer_interaction(self.bot, interaction, request)

    @lyrics.autocomplete("scheme")
    async def schemes(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The usual schemes, and whatever the person is typing (any letters will do)."""
        typed = current.strip().upper()
        offers = [s for s in SCHEMES if s.startswith(typed) or s.lower().startswith(current)]
        if typed and typed not in offers:
            offers.insert(0, typed[:20])
        return [app_commands.Choice(name=s, value=s) for s in offers[:25]]

    @lyrics.autocomplete("style")
    async def styles(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        model = getattr(interaction.namespace, "model", None)
        return style_offers(self.bot.services.engine, model, current)

    @lyrics.autocomplete("model")
    async def model_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = self.bot.services.engine.model_names()
        matching = [n for n in names if current.lower() in n.lower()]
        return [app_commands.Choice(name=n, value=n) for n in matching[:25]]


async def setup(bot: LyricBot) -> None:
    await bot.add_cog(LyricsCog(bot))
