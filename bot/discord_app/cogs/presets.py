"""/presets: the defaults that learn from ratings; /preset pin|unpin|reset for admins."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import admin_only
from bot.discord_app.client import LyricBot, reply_privately
from bot.discord_app.formatting import NO_PINGS
from bot.services.presets import PRESETS


class PresetsCog(commands.Cog):
    preset = app_commands.Group(name="preset", description="Pin or reset the presets (admins)")

    def __init__(self, bot: LyricBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="presets", description="The default presets, their ratings and how often each is used"
    )
    async def presets(self, interaction: discord.Interaction) -> None:
        overview = await self.bot.services.presets.overview(interaction.guild_id)
        await interaction.response.send_message(overview.describe(), allowed_mentions=NO_PINGS)

    @preset.command(name="pin", description="Always use one preset here (admins)")
    @app_commands.describe(name="The preset every /lyrics without sampling options uses")
    @app_commands.choices(name=[app_commands.Choice(name=p.name, value=p.name) for p in PRESETS])
    @app_commands.check(admin_only)
    async def pin(self, interaction: discord.Interaction, name: str) -> None:
        await self.bot.services.presets.pin(interaction.guild_id, name, interaction.user.id)
        await reply_privately(interaction, f"Pinned {name}: /preset unpin lets ratings decide.")

    @preset.command(name="unpin", description="Let ratings pick the preset again (admins)")
    @app_commands.check(admin_only)
    async def unpin(self, interaction: discord.Interaction) -> None:
        await self.bot.services.presets.pin(interaction.guild_id, None, interaction.user.id)
        await reply_privately(interaction, "Unpinned: ratings pick the preset again.")

    @preset.command(name="reset", description="Forget this server's preset ratings (admins)")
    @app_commands.check(admin_only)
    async def reset(self, interaction: discord.Interaction) -> None:
        await self.bot.services.presets.reset(interaction.guild_id, interaction.user.id)
        await reply_privately(
            interaction, "Preset learning reset: it starts again from other servers' ratings."
        )


async def setup(bot: LyricBot) -> None:
    await bot.add_cog(PresetsCog(bot))
