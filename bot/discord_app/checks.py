"""Command checks and cooldowns, built with discord.py's own check machinery."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.services.admins import is_admin, may_submit

if TYPE_CHECKING:
    from bot.discord_app.client import LyricBot

log = logging.getLogger(__name__)


class ChannelNotAllowed(app_commands.CheckFailure):
    """The command was used outside the configured channels."""


class NotAdmin(app_commands.CheckFailure):
    """An admin command from someone who is not one (the attempt is audited)."""


def _role_ids(interaction: discord.Interaction) -> list[int]:
    return [role.id for role in getattr(interaction.user, "roles", [])]


def caller_is_admin(interaction: discord.Interaction) -> bool:
    return is_admin(
        _bot(interaction).settings,
        user_id=interaction.user.id,
        role_ids=_role_ids(interaction),
        manage_guild=interaction.permissions.manage_guild,
    )


async def admin_only(interaction: discord.Interaction) -> bool:
    """Checked on the server for every admin command, whatever the client was shown: a
    forged interaction gets the same refusal. Every attempt lands in the audit log."""
    allowed = caller_is_admin(interaction)
    command = interaction.command.qualified_name if interaction.command else "?"
    await _bot(interaction).services.db.record_audit(
        action=command,
        allowed=allowed,
        user_id=interaction.user.id,
        guild_id=interaction.guild_id,
    )
    if not allowed:
        log.warning("refused /%s to user %s", command, interaction.user.id)
        raise NotAdmin("Only admins can do that (Manage Server, or an admin role).")
    return True


def caller_may_submit(interaction: discord.Interaction) -> bool:
    return may_submit(
        _bot(interaction).settings,
        role_ids=_role_ids(interaction),
        admin=caller_is_admin(interaction),
    )


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
