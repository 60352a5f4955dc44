"""Command checks and cooldowns, built with discord.py's own check machinery."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.services.admins import is_admin, may_submit
from bot.storage import Database

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


class LyricsRate:
    """One per-user budget for /lyrics, /song and the answers' buttons together, so a button
    is no way around the cooldown; a rate of 0 switches it off. One process keeps it in
    discord.py's Cooldown; processes sharing a database (`shared`, a sharded bot, where one
    user reaches several processes through several guilds) keep it there."""

    def __init__(self, rate: int, per: float, shared: Database | None = None) -> None:
        self.rate, self.per, self.shared = rate, per, shared
        self._buckets: dict[int, app_commands.Cooldown] = {}

    async def hit(self, user_id: int) -> None:
        """Count one request; raises CommandOnCooldown when the user is over the rate."""
        if self.rate <= 0:
            return
        if self.shared is None:
            bucket = self._buckets.setdefault(user_id, app_commands.Cooldown(self.rate, self.per))
            retry_after = bucket.update_rate_limit()
        else:  # the count lives in the database; a bucket only carries the refusal
            bucket = app_commands.Cooldown(self.rate, self.per)
            retry_after = await self.shared.take_request_slot(
                user_id, self.rate, self.per, time.time()
            )
        if retry_after:
            raise app_commands.CommandOnCooldown(bucket, retry_after)


async def lyrics_rate(interaction: discord.Interaction) -> bool:
    await _bot(interaction).lyrics_rate.hit(interaction.user.id)
    return True


def channel_allowed(interaction: discord.Interaction) -> bool:
    allowed = _bot(interaction).settings.channel_ids
    if allowed and interaction.channel_id not in allowed:
        raise ChannelNotAllowed("I only write lyrics in the channels set aside for me.")
    return True
