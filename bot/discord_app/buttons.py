"""The buttons under an answer: 🔁 another take, ➕ four more lines, ✍️ same seed, own settings.

Each is a discord.py `DynamicItem` whose custom id carries the generation's number and which
the bot registers at start-up, so the buttons of answers posted before a restart still work.
A click is a request like /lyrics: the same checks, cooldown, queue, time budget and pending
record, and its answer is a new message, a generation of its own linked to its parent.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.discord_app.answers import answer_interaction
from bot.discord_app.checks import channel_allowed
from bot.services.errors import InvalidRequest, UserFacingError
from bot.services.follow_ups import follow_up
from bot.storage import Kind

if TYPE_CHECKING:
    from bot.discord_app.client import LyricBot


def answer_buttons(generation_id: int) -> discord.ui.View:
    """The buttons under an answer (the bot hands this to answers.py as `answer_view`)."""
    view = discord.ui.View(timeout=None)
    for item in DYNAMIC_ITEMS:
        view.add_item(item(generation_id))
    return view


class _AnswerButton:
    """What the three buttons share; each is also a DynamicItem with its own template (which
    discord.py requires of every DynamicItem class, so this base is not one)."""

    kind: Kind
    label: str
    emoji: str

    def __init__(self, generation_id: int) -> None:
        custom_id = f"lyrics:{self.kind}:{generation_id}"
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=self.label,
            emoji=self.emoji,
            style=discord.ButtonStyle.secondary,
            custom_id=custom_id,
        )
        super().__init__(button)  # type: ignore[call-arg]  # DynamicItem, next in the MRO
        self.generation_id = generation_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Any:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await ask_follow_up(interaction, self.generation_id, self.kind)


Item = discord.ui.DynamicItem[discord.ui.Button[Any]]


class AnotherTake(_AnswerButton, Item, template=r"lyrics:take:(?P<id>[0-9]+)"):
    kind, label, emoji = "take", "Another take", "🔁"


class Continue(_AnswerButton, Item, template=r"lyrics:continue:(?P<id>[0-9]+)"):
    kind, label, emoji = "continue", "Continue", "➕"


class OwnSettings(_AnswerButton, Item, template=r"lyrics:edit:(?P<id>[0-9]+)"):
    kind, label, emoji = "edit", "Your settings", "✍️"

    async def callback(self, interaction: discord.Interaction) -> None:
        parent = await _bot(interaction).services.db.get_generation(self.generation_id)
        params = parent.params if parent is not None else {}
        await interaction.response.send_modal(SettingsModal(self.generation_id, params))


DYNAMIC_ITEMS = (AnotherTake, Continue, OwnSettings)


class SettingsModal(discord.ui.Modal, title="Same seed, your settings"):
    def __init__(self, generation_id: int, params: Any) -> None:
        super().__init__(timeout=600)
        self.generation_id = generation_id
        syllables = params.get("syllables") or []
        self.temperature: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Temperature (0.1–2.0)", default=f"{params.get('temperature', 0.8):g}",
            max_length=6, custom_id="temperature",
        )  # fmt: skip
        self.scheme: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Rhyme scheme (AABB, ABAB… or free)", default=params.get("scheme") or "free",
            required=False, max_length=20, custom_id="scheme",
        )  # fmt: skip
        self.syllables: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Syllables per line (8, or 8,6,8,6)", default=",".join(map(str, syllables)),
            required=False, max_length=60, custom_id="syllables",
        )  # fmt: skip
        for field in (self.temperature, self.scheme, self.syllables):
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            temperature = float(self.temperature.value.replace(",", "."))
        except ValueError:
            await _refuse(interaction, InvalidRequest("The temperature must be a number."))
            return
        changes = {
            "temperature": temperature,
            "scheme": self.scheme.value or None,
            "syllables": self.syllables.value or None,
        }
        await ask_follow_up(interaction, self.generation_id, "edit", changes)


async def ask_follow_up(
    interaction: discord.Interaction,
    generation_id: int,
    kind: Kind,
    changes: dict[str, Any] | None = None,
) -> None:
    """Like /lyrics, from an earlier answer; every refusal is a private one-liner."""
    bot = _bot(interaction)
    try:
        bot.track_current()
        channel_allowed(interaction)
        await bot.lyrics_rate.hit(interaction.user.id)
        parent = await bot.services.db.get_generation(generation_id)
        if parent is None:
            raise InvalidRequest("That answer is no longer in my log.")
        request = follow_up(
            parent, kind, user_id=interaction.user.id, guild_id=interaction.guild_id,
            channel_id=interaction.channel_id, interaction_id=interaction.id, changes=changes,
        )  # fmt: skip
    except (UserFacingError, discord.app_commands.AppCommandError) as exc:
        await _refuse(interaction, exc)
        return
    await answer_interaction(bot, interaction, request)


async def _refuse(interaction: discord.Interaction, error: Exception) -> None:
    await _bot(interaction).tree.on_error(interaction, error)  # type: ignore[arg-type]


def _bot(interaction: discord.Interaction) -> LyricBot:
    return interaction.client  # type: ignore[return-value]
