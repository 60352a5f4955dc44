"""Discord out of reach: at boot before the network is up, or in an outage. The bot waits it
out, one log line an attempt and no traceback, reports "connecting" meanwhile, and answers as
soon as Discord is back. A refused token still ends it with one clear line."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fakediscord import BotProcess, FakeDiscord, GuildSpec, fetch, free_port
from reliability_support import error_lines, is_lyrics

RETRY = r"cannot reach Discord: .*; retrying in \d+ s"


async def test_a_bot_started_while_discord_is_down_waits_and_answers_once_it_is_up(
    tmp_path: Path, bot_env: dict[str, str], eventually
) -> None:
    discord = FakeDiscord([GuildSpec(name="Lyric Lab")], port=free_port())
    health_port = free_port()
    health = f"http://127.0.0.1:{health_port}/health"
    env = {**bot_env, "DISCORD_TOKEN": discord.token, "DISCORD_GUILD_IDS": str(discord.guild_id)}
    env["LYRICBOT_HEALTH_PORT"] = str(health_port)
    async with BotProcess(discord, ["bot", "run"], env=env, cwd=tmp_path) as process:
        await process.wait_for_log(f"(?s){RETRY}.*{RETRY}", timeout=60)  # two attempts
        report = (await asyncio.to_thread(fetch, health))[1]
        assert report["state"] == "connecting" and report["healthy"] is False
        async with discord:
            await discord.wait_until_synced(60)
            await discord.wait_until_identified(60)
            interaction = await discord.invoke_slash("lyrics", {"seed": "back again"})
            assert is_lyrics(await interaction.wait_for_reply(60, is_lyrics))

            async def connected() -> bool:
                report = (await asyncio.to_thread(fetch, health))[1]
                return report["state"] == "connected" and report["healthy"] is True

            await eventually(connected, within=30)  # ready once the guilds have loaded

            retries = process.log_text().count("cannot reach Discord")
            await discord.stop()  # an outage while connected: discord.py's own reconnects

            async def retrying() -> bool:
                return process.log_text().count("cannot reach Discord") > retries

            await eventually(retrying, within=60)
            await discord.start()
            await discord.wait_until_connected(60)
            interaction = await discord.invoke_slash("lyrics", {"seed": "and again"})
            assert is_lyrics(await interaction.wait_for_reply(60, is_lyrics))
            await process.terminate()
            assert process.returncode == 0
    log = process.log_text()
    assert "Traceback" not in log and error_lines(log) == [], log[-3000:]
    assert discord.token not in log


async def test_a_refused_token_ends_the_bot_with_one_clear_line(
    discord: FakeDiscord, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    env = {**bot_env, "DISCORD_TOKEN": "not-the-token"}
    async with BotProcess(discord, ["bot", "run"], env=env, cwd=tmp_path) as process:
        assert await process.wait(60) == 2
    log = process.log_text()
    assert "lyricbot: error: Discord refused DISCORD_TOKEN; check it" in log
    assert "Traceback" not in log and "cannot reach Discord" not in log
