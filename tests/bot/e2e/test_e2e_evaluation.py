"""The human evaluation as Discord users see it: /stats's chart, through the real bot process."""

from __future__ import annotations

import io

from fakediscord import FakeDiscord
from matplotlib.image import imread

from bot.settings import DEFAULT_EMOJIS


async def test_stats_answers_with_numbers_and_a_ratings_chart(
    discord: FakeDiscord, start_bot, db, eventually
) -> None:
    async with start_bot():
        interaction = await discord.invoke_slash("lyrics", {"seed": "we drift", "lines": 2})
        reply = await interaction.wait_for_reply(30, lambda m: not m.content.startswith("⏳"))
        generation_id = await eventually(lambda: db.generation_for_message(reply.id))
        for name, emoji in (("ann", DEFAULT_EMOJIS[3]), ("bo", DEFAULT_EMOJIS[4])):
            await discord.add_reaction(reply, discord.make_member(name), emoji)
        await eventually(lambda: _rated_by(db, generation_id, 2))
        stats = await discord.invoke_slash("stats", {})
        shown = await stats.wait_for_reply(timeout=15)
        assert "**1** generations, **2** ratings, mean rating 4.50" in shown.content
        (chart,) = shown.attachments
        assert chart.filename == "ratings.png"
        assert chart.data.startswith(b"\x89PNG\r\n\x1a\n")
        assert imread(io.BytesIO(chart.data)).shape[:2] == (700, 1000)


async def _rated_by(db, generation_id: int, people: int) -> bool:
    return len(await db.ratings_for(generation_id)) == people
