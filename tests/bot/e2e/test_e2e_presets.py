"""Presets through the real bot: a /lyrics without options is written with a learnt preset,
/presets shows them, and only admins pin one (every attempt audited)."""

from __future__ import annotations

from fakediscord import FakeDiscord

from bot.services.presets import PRESETS

NAMES = {p.name for p in PRESETS}


def _settled(message) -> bool:
    """The answer, not a "queued" or "writing…" progress edit."""
    return not message.content.startswith("⏳") and not message.content.endswith("writing…")


async def _reply(discord: FakeDiscord, command: str, options: dict, **how):
    interaction = await discord.invoke_slash(command, options, **how)
    return await interaction.wait_for_reply(30, _settled)


async def test_lyrics_without_options_get_a_preset_and_admins_can_pin_one(
    discord: FakeDiscord, start_bot, db, eventually
) -> None:
    admin = discord.make_admin()
    async with start_bot():
        reply = await _reply(discord, "lyrics", {"seed": "x"})
        generation_id = await eventually(lambda: db.generation_for_message(reply.id))
        preset = (await db.get_generation(generation_id)).params["preset"]
        assert preset in NAMES and f"\n-# preset {preset} · temperature" in reply.content
        chosen = await _reply(discord, "lyrics", {"seed": "x", "temperature": 0.9, "lines": 1})
        assert "preset" not in chosen.content and "temperature 0.9" in chosen.content

        shown = await _reply(discord, "presets", {})
        assert not shown.ephemeral and "picked" in shown.content
        assert all(f"{name} (temperature" in shown.content for name in NAMES)

        refused = await _reply(discord, "preset pin", {"name": "wild"}, check_permissions=False)
        assert refused.ephemeral and "Only admins" in refused.content
        pinned = await _reply(discord, "preset pin", {"name": "wild"}, user=admin)
        assert pinned.ephemeral and "Pinned wild" in pinned.content
        wild = await _reply(discord, "lyrics", {"seed": "y", "lines": 2})
        assert "-# preset wild · temperature 1.1" in wild.content
        assert "Pinned by an admin: wild" in (await _reply(discord, "presets", {})).content
        audit = [(a.action, a.allowed) for a in reversed(await db.audit_entries())]
        assert audit == [("preset pin", False), ("preset pin", True)]
