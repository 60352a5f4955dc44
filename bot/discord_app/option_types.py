"""Option values of the wrong JSON type, refused with the option's name.

Discord's own client sends each option in its declared type, but a forged, buggy or future
payload may not, and discord.py would then fail before any of our code runs (a "thinking…"
that never ends, or a generic apology). The tree checks every command's options against their
declared types first, so such a value gets the same kind of clear answer as one out of range.
"""

from __future__ import annotations

import json
import math
from typing import Any

import discord
from discord import AppCommandOptionType, app_commands

_SNOWFLAKES = {
    AppCommandOptionType.user,
    AppCommandOptionType.channel,
    AppCommandOptionType.role,
    AppCommandOptionType.mentionable,
    AppCommandOptionType.attachment,
}
_WHAT = {
    AppCommandOptionType.string: "text",
    AppCommandOptionType.integer: "a whole number",
    AppCommandOptionType.number: "a number",
    AppCommandOptionType.boolean: "true or false",
}
_GROUPS = (AppCommandOptionType.subcommand.value, AppCommandOptionType.subcommand_group.value)


def wrong_option(interaction: discord.Interaction) -> str | None:
    """What is wrong with the first option whose value does not fit its declared type."""
    command = interaction.command
    if interaction.type is not discord.InteractionType.application_command or not isinstance(
        command, app_commands.Command
    ):
        return None
    declared = {p.display_name: p.type for p in command.parameters}
    for option in _leaf_options(interaction.data or {}):
        expected = declared.get(str(option.get("name")))
        value = option.get("value")
        if expected is not None and not _fits(expected, value):
            what = _WHAT.get(expected, f"a {expected.name}")
            shown = json.dumps(value, ensure_ascii=False)[:40]
            return f"`{option.get('name')}` must be {what} (got {shown})."
    return None


def _leaf_options(data: Any) -> list[dict[str, Any]]:
    """The options of the command itself, below any subcommand group and subcommand."""
    options = data.get("options") or []
    while len(options) == 1 and options[0].get("type") in _GROUPS:
        options = options[0].get("options") or []
    return [o for o in options if isinstance(o, dict)]


def _fits(expected: AppCommandOptionType, value: object) -> bool:
    if expected is AppCommandOptionType.string:
        return isinstance(value, str)
    if expected is AppCommandOptionType.boolean:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if expected is AppCommandOptionType.integer:
        return isinstance(value, int)
    if expected is AppCommandOptionType.number:
        return isinstance(value, int | float) and math.isfinite(value)
    if expected in _SNOWFLAKES:
        return isinstance(value, str | int) and str(value).isdigit()
    return True
