"""Two bot processes, one shard each, on one PostgreSQL, against a fake Discord of two shards:
their IDENTIFYs are paced through the database, each answers /lyrics only for its own guild,
ratings from both land in one database, one cooldown holds a user across both, and a SIGKILL
of one loses nothing of the other."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

from fakediscord import FakeDiscord, FakeMember
from shards_support import settled, start_both, two_shards

from bot.discord_app.identify import IDENTIFY_SPACING
from bot.settings import DEFAULT_EMOJIS
from bot.storage import Database

FIVE = DEFAULT_EMOJIS[4]


async def _lyrics(fake: FakeDiscord, guild_id: int, seed: str):
    guild = fake.state.guilds[guild_id]
    user = fake.make_member(f"singer-{seed}", guild_id=guild_id)
    channel = next(iter(guild.channels))
    interaction = await fake.invoke_slash(
        "lyrics", {"seed": seed, "lines": 2}, user=user, channel_id=channel
    )
    return interaction, user, await interaction.wait_for_reply(30, settled)


async def test_two_sharded_processes_share_one_database(
    tmp_path: Path, models_dir: Path, postgres_url: str, eventually
) -> None:
    async with two_shards() as fake, AsyncExitStack() as stack:
        zero_guild, one_guild = fake.guild_ids
        env = {
            "LYRICBOT_DATABASE_URL": postgres_url,
            "LYRICBOT_MODELS": str(models_dir),
            "LYRICBOT_COOLDOWN_RATE": "1",
            "LYRICBOT_COOLDOWN_SECONDS": "600",
        }
        processes = await start_both(fake, stack, env, tmp_path, eventually)
        (first, at_first), (second, at_second) = sorted(fake.identified, key=lambda i: i[1])
        assert {first, second} == {0, 1}
        assert at_second - at_first >= IDENTIFY_SPACING - 0.5  # one bucket: paced 5 s apart

        zero, one = processes
        asked_zero, fan_zero, reply_zero = await _lyrics(fake, zero_guild, "zero")
        asked_one, fan_one, reply_one = await _lyrics(fake, one_guild, "one")
        await zero.wait_for_log(rf"answered \(interaction {asked_zero.id}", 30)
        await one.wait_for_log(rf"answered \(interaction {asked_one.id}", 30)
        assert str(asked_one.id) not in zero.log_text()
        assert str(asked_zero.id) not in one.log_text()

        # One user in both guilds: the cooldown is theirs, not each process's.
        traveller = fake.make_member("traveller", guild_id=zero_guild)
        fake.state.guilds[one_guild].members[traveller.id] = FakeMember(traveller.user, one_guild)
        for guild_id, then in ((zero_guild, "answered"), (one_guild, "refused")):
            channel = next(iter(fake.state.guilds[guild_id].channels))
            asked = await fake.invoke_slash(
                "lyrics", {"seed": "on the road", "lines": 2}, user=traveller, channel_id=channel
            )
            reply = await asked.wait_for_reply(30, settled)
            assert ("Slow down" in reply.content) == (then == "refused"), reply.content
            assert reply.ephemeral == (then == "refused")

        async with await Database.open(postgres_url) as db:
            ids = []
            for reply, fan in ((reply_zero, fan_zero), (reply_one, fan_one)):
                generation_id = await eventually(lambda r=reply: db.generation_for_message(r.id))
                await fake.add_reaction(reply, fan, FIVE)
                ids.append(generation_id)
                await eventually(lambda g=generation_id: db.ratings_for(g))
                assert await db.ratings_for(generation_id) == {fan.id: 5}
            guilds = [(await db.get_generation(g)).guild_id for g in ids]
            assert guilds == [zero_guild, one_guild]

            await zero.kill()  # SIGKILL: shard 0 is gone, shard 1 carries on
            asked_again, _, _ = await _lyrics(fake, one_guild, "again")
            await one.wait_for_log(rf"answered \(interaction {asked_again.id}", 30)
            assert await db.ratings_for(ids[1]) == {fan_one.id: 5}
            stats = await db.stats()
            assert stats.total_generations == 4
        await asyncio.sleep(0)
        assert "Traceback" not in one.log_text()
