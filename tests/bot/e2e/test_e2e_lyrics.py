"""/lyrics and ratings as Discord users experience them, through the real bot process."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from fakediscord import FakeDiscord

from bot.settings import DEFAULT_EMOJIS

ONE, THREE, FIVE = DEFAULT_EMOJIS[0], DEFAULT_EMOJIS[2], DEFAULT_EMOJIS[4]


def _settled(message) -> bool:
    """The answer, not a "queued" or "writing…" progress edit."""
    return not message.content.startswith("⏳") and not message.content.endswith("writing…")


async def _final(interaction, within: float = 30):
    return await interaction.wait_for_reply(within, _settled)


async def _lyrics(discord: FakeDiscord, user=None, **options):
    interaction = await discord.invoke_slash("lyrics", {"seed": "we drift", **options}, user=user)
    return interaction, await _final(interaction)


async def test_lyrics_are_answered_with_rating_reactions_and_logged(
    discord: FakeDiscord, start_bot, db, eventually
) -> None:
    async with start_bot():
        commands = {c["name"] for c in discord.commands(discord.guild_id)}
        assert {"lyrics", "stats"} <= commands
        interaction, reply = await _lyrics(discord, temperature=0.7, lines=4, rng_seed=5)
        assert interaction.deferred
        assert reply.content.startswith("**we drift**")
        assert "rng\\_seed 5" in reply.content and "temperature 0.7" in reply.content
        assert "Machine-generated" in reply.content and not reply.ephemeral
        assert reply.allowed_mentions == {"parse": []}
        assert await discord.wait_for_reactions(reply, 5) == list(DEFAULT_EMOJIS)
        generation_id = await eventually(lambda: db.generation_for_message(reply.id))
        row = await db.get_generation(generation_id)
        assert row.rng_seed == 5 and row.user_id == discord.user.id
        assert row.guild_id == discord.guild_id and row.output.startswith("we drift")
        assert await db.ratings_for(generation_id) == {}  # the bot's own reactions are no votes
        _, again = await _lyrics(discord, temperature=0.7, lines=4, rng_seed=5)
        assert again.content.split("\n\n-# ")[0] == reply.content.split("\n\n-# ")[0]


async def test_a_rating_is_recorded_replaced_and_removed(
    discord: FakeDiscord, start_bot, db, eventually
) -> None:
    async with start_bot():
        _, reply = await _lyrics(discord, lines=2)
        generation_id = await eventually(lambda: db.generation_for_message(reply.id))
        fan = discord.make_member("fan")

        async def ratings() -> dict[int, int]:
            return await db.ratings_for(generation_id)

        await discord.add_reaction(reply, fan, THREE)
        assert await eventually(ratings) == {fan.id: 3}
        await discord.add_reaction(reply, fan, FIVE)
        await eventually(lambda: _equals(ratings, {fan.id: 5}))
        await discord.remove_reaction(reply, fan, FIVE)  # back to the 3 still on the answer
        await eventually(lambda: _equals(ratings, {fan.id: 3}))
        await discord.add_reaction(reply, fan, FIVE)
        await discord.remove_reaction(reply, fan, THREE)  # the older reaction: 5 stays
        await discord.add_reaction(reply, discord.user, ONE)
        await eventually(lambda: _equals(ratings, {fan.id: 5, discord.user.id: 1}))
        await discord.remove_reaction(reply, fan, FIVE)  # no reaction of theirs left
        await eventually(lambda: _equals(ratings, {discord.user.id: 1}))


async def _equals(probe, expected) -> bool:
    return await probe() == expected


async def test_bad_options_get_a_private_clear_message(discord: FakeDiscord, start_bot) -> None:
    async with start_bot(LYRICBOT_MAX_LINES="4"):
        cases = [
            ({"seed": "   "}, "seed is empty"),
            ({"seed": "hi", "lines": 10}, "`lines` must be between 1 and 4"),
            ({"seed": "hi", "model": "nope"}, "no model called 'nope'"),
        ]
        for options, message in cases:
            interaction = await discord.invoke_slash("lyrics", options)
            reply = await _final(interaction, 15)
            assert reply.ephemeral and message in reply.content


async def test_model_option_autocompletes_the_models_the_bot_has(
    discord: FakeDiscord, start_bot
) -> None:
    async with start_bot():
        choices = await discord.invoke_autocomplete("lyrics", {"model": "sta"}, "model")
        assert [c["value"] for c in choices] == ["starter"]


async def test_a_full_queue_answers_busy_and_loses_nothing(
    discord: FakeDiscord, start_bot, db, eventually, models_dir: Path, slow_model: Path
) -> None:
    shutil.copytree(slow_model, models_dir / "slow")
    settings = {"LYRICBOT_WORKERS": "1", "LYRICBOT_QUEUE_SIZE": "1"}
    async with start_bot(
        LYRICBOT_DEFAULT_MODEL="slow", LYRICBOT_SERVING_WEIGHTS="fp32", **settings
    ):
        users = [discord.make_member(f"user{i}") for i in range(8)]
        interactions = await asyncio.gather(
            *(discord.invoke_slash("lyrics", {"seed": "rush", "lines": 4}, user=u) for u in users)
        )
        replies = await asyncio.gather(*(_final(i, 120) for i in interactions))
        busy = [r for r in replies if r.ephemeral]
        answered = [r for r in replies if not r.ephemeral]
        assert len(busy) == 6, [r.content[:60] for r in replies]
        assert all("busy" in r.content and "try again in" in r.content for r in busy)
        assert all(r.content.startswith("**rush**") for r in answered)

        async def logged() -> bool:
            return (await db.stats(discord.guild_id)).total_generations == len(answered)

        await eventually(logged)


async def test_fifty_concurrent_requests_are_all_answered_and_logged(
    discord: FakeDiscord, start_bot, db, eventually
) -> None:
    async with start_bot(LYRICBOT_QUEUE_SIZE="64"):
        users = [discord.make_member(f"singer{i}") for i in range(50)]
        interactions = await asyncio.gather(
            *(discord.invoke_slash("lyrics", {"seed": f"verse {i}", "lines": 2}, user=u)
              for i, u in enumerate(users))
        )  # fmt: skip
        replies = await asyncio.gather(*(_final(i, 120) for i in interactions))
        assert all(not r.ephemeral and "**verse" in r.content for r in replies)

        async def all_attached() -> bool:
            ids = [await db.generation_for_message(r.id) for r in replies]
            return all(ids) and len(set(ids)) == 50

        await eventually(all_attached, within=30)


async def test_stats_and_a_restart_keep_the_data_and_old_ratings_work(
    discord: FakeDiscord, start_bot, db, eventually
) -> None:
    async with start_bot() as process:
        _, reply = await _lyrics(discord, lines=2)
        generation_id = await eventually(lambda: db.generation_for_message(reply.id))
        await process.restart()
        await discord.wait_until_identified(30, count=2)
        assert len(discord.sync_calls) == 2  # once per start-up, not per connection
        fan = discord.make_member("late fan")
        await discord.add_reaction(reply, fan, FIVE)
        assert await eventually(lambda: db.ratings_for(generation_id)) == {fan.id: 5}
        stats = await discord.invoke_slash("stats", {})
        shown = await stats.wait_for_reply(timeout=15)
        assert "**1** generations, **1** ratings" in shown.content


async def test_a_gateway_reconnect_does_not_resync_commands(
    discord: FakeDiscord, start_bot
) -> None:
    async with start_bot():
        await discord.drop_gateway()
        await discord.wait_until_connected(30)
        _, reply = await _lyrics(discord, lines=1)
        assert reply.content.startswith("**we drift**")
        assert len(discord.sync_calls) == 1


async def test_cooldown_and_channel_allow_list_answer_privately(
    discord: FakeDiscord, start_bot
) -> None:
    lyrics_channel = next(c.id for c in discord.guild.channels.values() if c.name == "lyrics")
    settings = {"LYRICBOT_COOLDOWN_RATE": "1", "LYRICBOT_CHANNEL_IDS": str(lyrics_channel)}
    async with start_bot(**settings):
        elsewhere = await discord.invoke_slash("lyrics", {"seed": "hi"})
        reply = await _final(elsewhere, 15)
        assert reply.ephemeral and "channels set aside" in reply.content
        first = await discord.invoke_slash("lyrics", {"seed": "hi"}, channel_id=lyrics_channel)
        assert (await _final(first)).content.startswith("**hi**")
        second = await discord.invoke_slash("lyrics", {"seed": "hi"}, channel_id=lyrics_channel)
        reply = await _final(second, 15)
        assert reply.ephemeral and "Slow down" in reply.content
