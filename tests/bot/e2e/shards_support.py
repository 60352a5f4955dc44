"""Two bot processes, one shard each, on one database, against a fake Discord of two shards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fakediscord import BotProcess, FakeDiscord, GuildSpec


@asynccontextmanager
async def two_shards() -> AsyncIterator[FakeDiscord]:
    guilds = [GuildSpec(name="Shard Zero", shard=0), GuildSpec(name="Shard One", shard=1)]
    async with FakeDiscord(guilds=guilds, shard_count=2, interaction_deadline=None) as fake:
        yield fake
        assert fake.unknown_routes == [] and fake.server_errors == []


async def start_both(
    fake: FakeDiscord, stack: AsyncExitStack, env: dict[str, str], tmp_path: Path, eventually
) -> list[BotProcess]:
    """Shard 0 and shard 1 as two `lyricbot run` processes, once both are in and synced."""
    zero_guild, one_guild = fake.guild_ids
    env = {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_GUILD_IDS": f"{zero_guild},{one_guild}",
        "LYRICBOT_HEALTH_PORT": "0",
        "LYRICBOT_SHARD_COUNT": "2",
        **env,
    }
    processes = []
    for shard in (0, 1):
        folder = tmp_path / f"shard-{shard}"
        folder.mkdir()
        process = BotProcess(fake, ["bot", "run"], env={**env, "LYRICBOT_SHARDS": str(shard)},
                             cwd=folder)  # fmt: skip
        processes.append(await stack.enter_async_context(process))

    async def both_identified() -> bool:
        return len(fake.identified) >= 2

    await eventually(both_identified, within=60)
    await fake.wait_until_synced(60, count=4)  # each process, both guilds
    return processes


def settled(message) -> bool:
    return not message.content.startswith("⏳") and not message.content.endswith("writing…")
