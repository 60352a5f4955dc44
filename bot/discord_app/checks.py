"""Command checks and cooldowns, built with discord.py's own check machinery."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.discord_app.client import LyricBot


class ChannelNotAllowed(app_commands.CheckFailure):
    """The command was used outside the configured channels."""


def _bot(interaction: discord.Interaction) -> LyricBot:
    return interaction.client  # type: ignore[return-value]


def lyrics_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown | None:
    """Per-user rate from settings; a rate of 0 switches the cooldown off."""
    settings = _bot(interaction).settings
    if settings.cooldown_rate <= 0:
        return None
    return app_commands.Cooldown(settings.cooldown_rate, settings.cooldown_seconds)


def channel_allowed(interaction: discord.Interaction) -> bool:
    allowed = _bot(interaction).settings.channel_ids
    if allowed and interaction.channel_id not in allowed:
        raise ChannelNotAllowed("I only write lyrics in the channels set aside for me.")
    return True
