"""/corpus: submit text to learn from; admins review it."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import admin_only, caller_may_submit
from bot.discord_app.client import LyricBot, reply_privately
from bot.discord_app.formatting import escape
from bot.discord_app.options import style_offers
from bot.services.corpus import decode_upload
from bot.services.errors import InvalidRequest
from bot.services.proposals import MIN_MEAN, MIN_RATERS, describe_proposals, propose_highly_rated
from bot.services.reports import describe_entries


class CorpusCog(commands.Cog):
    corpus = app_commands.Group(name="corpus", description="The lyrics the bot learns from")

    def __init__(self, bot: LyricBot) -> None:
        self.bot = bot

    @corpus.command(name="submit", description="Offer lyrics for the bot to learn from")
    @app_commands.describe(
        text="The lyrics (or attach a .txt file)",
        file="A .txt file of lyrics",
        title="A title for reviewers",
        licence="Where it comes from / its licence (only your own or public-domain text)",
        style="What kind of song it is (blues, gospel…); a new name becomes a new style",
    )
    async def submit(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, 4000] | None = None,
        file: discord.Attachment | None = None,
        title: app_commands.Range[str, 1, 100] | None = None,
        licence: app_commands.Range[str, 1, 200] | None = None,
        style: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        if not caller_may_submit(interaction):
            await reply_privately(interaction, "Submissions are open to certain roles only.")
            return
        limit = self.bot.settings.corpus_max_bytes
        if (text is None) == (file is None):
            raise InvalidRequest("Give either `text` or a `.txt` file, not both or neither.")
        if file is not None:
            if file.size > limit:
                raise InvalidRequest(f"That file is {file.size:,} bytes; the limit is {limit:,}.")
            text = decode_upload(await file.read(), file.filename, limit)
        assert text is not None
        entry_id = await self.bot.services.corpus.submit(
            text, submitted_by=interaction.user.id, title=title, licence=licence, limited=True,
            style=style,
        )  # fmt: skip
        await reply_privately(
            interaction, f"Thanks! Submitted as entry #{entry_id}; an admin will review it."
        )

    @submit.autocomplete("style")
    async def styles(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return style_offers(self.bot.services.engine, None, current)

    @corpus.command(name="list", description="Corpus entries by status (admins)")
    @app_commands.check(admin_only)
    async def list_entries(
        self,
        interaction: discord.Interaction,
        status: Literal["pending", "approved", "rejected"] = "pending",
    ) -> None:
        services = self.bot.services
        entries = await services.db.list_corpus_entries(status, limit=15)
        counts = await services.db.corpus_counts()
        await reply_privately(interaction, escape(describe_entries(status, entries, counts)))

    @corpus.command(name="propose", description="Offer the top-rated answers for review (admins)")
    @app_commands.check(admin_only)
    async def propose(self, interaction: discord.Interaction) -> None:
        services = self.bot.services
        proposals = await propose_highly_rated(
            services.db, services.corpus, proposer=interaction.user.id,
            guild_id=interaction.guild_id,
        )  # fmt: skip
        text = describe_proposals(proposals, MIN_MEAN, MIN_RATERS)
        await reply_privately(interaction, escape(text))

    @corpus.command(name="approve", description="Approve an entry for training (admins)")
    @app_commands.check(admin_only)
    async def approve(self, interaction: discord.Interaction, id: int) -> None:
        await self.bot.services.corpus.review(id, approve=True, reviewer=interaction.user.id)
        await reply_privately(interaction, f"Entry #{id} approved: the next retrain will use it.")

    @corpus.command(name="reject", description="Reject an entry (admins)")
    @app_commands.check(admin_only)
    async def reject(
        self,
        interaction: discord.Interaction,
        id: int,
        reason: app_commands.Range[str, 1, 300],
    ) -> None:
        corpus = self.bot.services.corpus
        await corpus.review(id, approve=False, reviewer=interaction.user.id, reason=reason)
        await reply_privately(interaction, f"Entry #{id} rejected.")


async def setup(bot: LyricBot) -> None:
    await bot.add_cog(CorpusCog(bot))
