"""The human evaluation as Discord users see it, through the real bot process: /stats's chart,
and an admin proposing a well-rated answer to the corpus."""

from __future__ import annotations

import io

from fakediscord import FakeDiscord
from matplotlib.image import imread

from bot.settings import DEFAULT_EMOJIS


async def test_stats_chart_and_proposing_a_well_rated_answer(
    discord: FakeDiscord, start_bot, db, eventually
) -> None:
    admin = discord.make_admin()
    async with start_bot():
        interaction = await discord.invoke_slash("lyrics", {"seed": "we drift", "lines": 2})
        reply = await interaction.wait_for_reply(30, lambda m: "Machine-generated" in m.content)
        generation_id = await eventually(lambda: db.generation_for_message(reply.id))
        fans = (("ann", DEFAULT_EMOJIS[3]), ("bo", DEFAULT_EMOJIS[4]), ("cy", DEFAULT_EMOJIS[4]))
        for name, emoji in fans:
            await discord.add_reaction(reply, discord.make_member(name), emoji)
        await eventually(lambda: _rated_by(db, generation_id, 3))
        stats = await discord.invoke_slash("stats", {})
        shown = await stats.wait_for_reply(timeout=15)
        assert "**1** generations, **3** ratings, mean rating 4.67" in shown.content
        (chart,) = shown.attachments
        assert chart.filename == "ratings.png"
        assert chart.data.startswith(b"\x89PNG\r\n\x1a\n")
        assert imread(io.BytesIO(chart.data)).shape[:2] == (700, 1000)

        refused = await discord.invoke_slash("corpus propose", {})
        assert "Only admins" in (await refused.wait_for_reply(15)).content
        proposed = await discord.invoke_slash("corpus propose", {}, user=admin)
        answer = await proposed.wait_for_reply(15)
        assert answer.ephemeral and "Proposed 1 answer(s) as pending entries" in answer.content
        (entry,) = await db.list_corpus_entries("pending")
        assert entry.title == f"from generation #{generation_id} (4.7 from 3 raters)"
        listing = await discord.invoke_slash("corpus list", {}, user=admin)
        assert (
            f"generation #{generation_id} (4.7 from 3 raters)"
            in (await listing.wait_for_reply(15)).content
        )


async def _rated_by(db, generation_id: int, people: int) -> bool:
    return len(await db.ratings_for(generation_id)) == people
