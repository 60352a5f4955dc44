"""Self-test of the fake Discord: a tiny real discord.py bot, run as a subprocess, against it.

The bot is written to ``tmp_path`` by the test (it is not part of the product): one guild
slash command ``/echo text`` that defers, answers with a followup that mentions nobody,
reacts 👍 to its own answer, and logs raw reaction events to a JSON-lines file.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from discord.utils import _ActiveDecompressionContext

from . import GUILD_MESSAGE_REACTIONS, BotProcess, FakeDiscord, InvalidInvocation
from .commands import build_invocation, validate_commands
from .conftest import RunBot
from .gateway import make_encoder
from .launch import default_gateway, parse_args

# What this discord.py build asks for: zlib-stream, or zstd-stream where zstd is importable.
COMPRESSION = _ActiveDecompressionContext.COMPRESSION_TYPE

ECHO_BOT = """
import json
import logging
import os

import discord
from discord import app_commands
from discord.ext import commands

GUILD = discord.Object(int(os.environ["TEST_GUILD_ID"]))
REACTION_LOG = os.environ["ECHO_REACTION_LOG"]


class EchoBot(commands.Bot):
    async def setup_hook(self) -> None:
        self.tree.add_command(echo, guild=GUILD)
        await self.tree.sync(guild=GUILD)

    async def before_identify_hook(self, shard_id, *, initial=False) -> None:
        pass  # discord.py sleeps 5 s before every re-IDENTIFY; not worth it in a self-test


@app_commands.command(description="Say the text back")
async def echo(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.defer()
    message = await interaction.followup.send(
        text, allowed_mentions=discord.AllowedMentions.none(), wait=True
    )
    await message.add_reaction("\\N{THUMBS UP SIGN}")


bot = EchoBot(
    command_prefix=commands.when_mentioned,
    intents=discord.Intents.default(),
    guild_ready_timeout=0.1,
)


def log_reaction(kind: str, payload: discord.RawReactionActionEvent) -> None:
    record = {
        "event": kind,
        "user_id": payload.user_id,
        "message_id": payload.message_id,
        "channel_id": payload.channel_id,
        "guild_id": payload.guild_id,
        "emoji": str(payload.emoji),
        "member": payload.member.name if payload.member else None,
    }
    with open(REACTION_LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\\n")


@bot.event
async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
    log_reaction("add", payload)


@bot.event
async def on_raw_reaction_remove(payload: discord.RawReactionActionEvent) -> None:
    log_reaction("remove", payload)


bot.run(os.environ["TEST_TOKEN"], log_level=logging.INFO)
"""


@pytest.fixture
async def bot(discord: FakeDiscord, run_bot: RunBot, tmp_path: Path) -> AsyncIterator[BotProcess]:
    env = {"ECHO_REACTION_LOG": str(tmp_path / "reactions.jsonl")}
    async with run_bot("echobot", ECHO_BOT, env) as process:
        yield process


async def reaction_events(path: Path, count: int) -> list[dict[str, Any]]:
    """Waits until the bot has logged ``count`` raw reaction events, then returns them all."""

    def read() -> list[str]:
        return path.read_text().splitlines() if path.exists() else []

    async with asyncio.timeout(10):
        while len(read()) < count:  # noqa: ASYNC110 - the bot writes a file; nothing to await
            await asyncio.sleep(0.05)
    return [json.loads(line) for line in read()]


# -- the real bot against the fake ----------------------------------------------------------


async def test_bot_identifies_and_syncs_echo_to_its_guild(
    discord: FakeDiscord, bot: BotProcess
) -> None:
    [sync] = discord.sync_calls
    assert sync.guild_id == discord.guild_id
    [echo] = discord.commands(discord.guild_id)
    assert echo["name"] == "echo"
    assert [(o["name"], o["type"], o["required"]) for o in echo["options"]] == [("text", 3, True)]
    assert discord.commands() == []  # nothing global
    assert discord.identify_count == 1
    assert discord.intents is not None and discord.intents & GUILD_MESSAGE_REACTIONS
    [query] = discord.gateway.connect_queries
    assert query == {"v": "10", "encoding": "json", "compress": COMPRESSION}


async def test_echo_answers_with_the_text_and_mentions_nobody(
    discord: FakeDiscord, bot: BotProcess
) -> None:
    text = "we drift <@123> like smoke"
    interaction = await discord.invoke_slash("echo", {"text": text})
    reply = await interaction.wait_for_reply(10)
    assert reply.content == text
    assert not reply.ephemeral
    assert reply.allowed_mentions == {"parse": []}
    assert [c.name for c in interaction.callbacks] == ["deferred message"]
    assert reply is interaction.original  # the first followup fills in "thinking…"


async def test_the_bots_own_reaction_is_visible(discord: FakeDiscord, bot: BotProcess) -> None:
    interaction = await discord.invoke_slash("echo", {"text": "react to me"})
    reply = await interaction.wait_for_reply(10)
    assert await discord.wait_for_reactions(reply, 1) == ["\N{THUMBS UP SIGN}"]


async def test_user_reactions_reach_the_bot_as_raw_events(
    discord: FakeDiscord, bot: BotProcess, tmp_path: Path
) -> None:
    fan = discord.make_member("fan")
    interaction = await discord.invoke_slash("echo", {"text": "rate this verse"})
    reply = await interaction.wait_for_reply(10)
    await discord.wait_for_reactions(reply, 1)
    log = tmp_path / "reactions.jsonl"
    await reaction_events(log, 1)  # the bot hears its own 👍 too, as on real Discord

    assert await discord.add_reaction(reply, fan, "\N{FIRE}")
    await discord.remove_reaction(reply, fan, "\N{FIRE}")
    own, added, removed = await reaction_events(log, 3)
    assert own["user_id"] == discord.bot_user.id
    assert added == {
        "event": "add",
        "user_id": fan.id,
        "message_id": reply.id,
        "channel_id": discord.channel_id,
        "guild_id": discord.guild_id,
        "emoji": "\N{FIRE}",
        "member": "fan",
    }
    assert removed["event"] == "remove" and removed["user_id"] == fan.id
    assert discord.reactions(reply) == ["\N{THUMBS UP SIGN}"]  # only the bot's own


async def test_a_dropped_gateway_resumes_and_replays_what_it_missed(
    discord: FakeDiscord, bot: BotProcess
) -> None:
    await discord.drop_gateway()
    interaction = await discord.invoke_slash("echo", {"text": "still here"})  # sent while down
    reply = await interaction.wait_for_reply(10)
    assert reply.content == "still here"
    assert (discord.resume_count, discord.identify_count) == (1, 1)


async def test_an_invalidated_session_identifies_again_and_still_answers(
    discord: FakeDiscord, bot: BotProcess
) -> None:
    await discord.drop_gateway(invalidate_session=True)
    await discord.wait_until_identified(15, count=2)
    interaction = await discord.invoke_slash("echo", {"text": "back again"})
    assert (await interaction.wait_for_reply(10)).content == "back again"


async def test_a_429_on_the_followup_is_retried_by_discord_py(
    discord: FakeDiscord, bot: BotProcess
) -> None:
    discord.fail_next("POST", r"^/webhooks/\d+/", status=429, retry_after=0.2)
    interaction = await discord.invoke_slash("echo", {"text": "patience"})
    reply = await interaction.wait_for_reply(10)
    assert reply.content == "patience"
    statuses = [r.status for r in discord.requests if r.path.startswith("/webhooks/")]
    assert statuses == [429, 200]


async def test_a_500_on_the_followup_is_retried_and_a_delay_is_just_slow(
    discord: FakeDiscord, bot: BotProcess
) -> None:
    discord.fail_next("POST", r"^/webhooks/", 500)
    discord.delay_next("POST", r"^/webhooks/", 0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    interaction = await discord.invoke_slash("echo", {"text": "eventually"})
    assert (await interaction.wait_for_reply(10)).content == "eventually"
    assert loop.time() - started >= 1.3  # discord.py waits 1 s before retrying a 5xx
    statuses = [r.status for r in discord.requests if r.path.startswith("/webhooks/")]
    assert statuses == [500, 200]


async def test_a_restarted_bot_identifies_again(discord: FakeDiscord, bot: BotProcess) -> None:
    await bot.restart()
    await discord.wait_until_identified(15, count=2)
    await discord.wait_until_synced(15, count=2)
    interaction = await discord.invoke_slash("echo", {"text": "after restart"})
    assert (await interaction.wait_for_reply(10)).content == "after restart"


# -- the harness on its own -----------------------------------------------------------------


async def test_unknown_routes_are_answered_404_and_recorded(discord: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            discord.api_base + "/guilds/1/bans",
            headers={"Authorization": f"Bot {discord.token}"},
        ) as response,
    ):
        assert response.status == 404
        assert (await response.json())["code"] == 0
    assert [(r.method, r.path) for r in discord.unknown_routes] == [("GET", "/guilds/1/bans")]
    discord.unknown_routes.clear()  # the fixture asserts the list is empty


async def test_wrong_token_is_refused(discord: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(discord.api_base + "/users/@me", headers={"Authorization": "Bot no"}) as r,
    ):
        assert r.status == 401


async def test_launcher_default_gateway_matches_the_server(discord: FakeDiscord) -> None:
    assert default_gateway(discord.api_base) == discord.gateway_url
    api, gateway, module, args = parse_args([discord.api_base, "--", "bot", "run", "--x"])
    assert (api, gateway, module, args) == (
        discord.api_base,
        discord.gateway_url,
        "bot",
        ["run", "--x"],
    )


CORPUS = {
    "name": "corpus",
    "description": "Manage the corpus",
    "options": [
        {
            "type": 1,
            "name": "approve",
            "description": "Approve a submission",
            "options": [
                {"type": 4, "name": "id", "description": "Submission", "required": True},
                {
                    "type": 10,
                    "name": "weight",
                    "description": "Weight",
                    "min_value": 0,
                    "max_value": 1,
                },
            ],
        }
    ],
}


def no_resolve(kind: int, value: Any) -> tuple[str, dict[str, Any]]:
    raise AssertionError("no snowflake options here")


def test_subcommand_options_are_typed_and_nested() -> None:
    invocation = build_invocation(CORPUS, ["approve"], {"id": 3, "weight": 0.5}, no_resolve)
    assert invocation.options == [
        {
            "name": "approve",
            "type": 1,
            "options": [
                {"name": "id", "type": 4, "value": 3},
                {"name": "weight", "type": 10, "value": 0.5},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"id": "3"}, "wants type 4"),
        ({"id": 3, "weight": 2.0}, "outside"),
        ({"weight": 0.5}, "missing required"),
        ({"id": 3, "colour": "red"}, "unknown options"),
    ],
)
def test_invocations_discord_would_never_send_are_refused(
    values: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidInvocation, match=problem):
        build_invocation(CORPUS, ["approve"], values, no_resolve)


def test_command_sync_is_validated_like_discord() -> None:
    bad = {"name": "Lyrics", "description": "x" * 101, "options": []}
    problems = dict(validate_commands([CORPUS, bad]))
    assert set(problems) == {"1.name", "1.description"}
    assert validate_commands([CORPUS]) == []


def test_gateway_frames_decompress_with_discord_pys_own_decompressor() -> None:
    """Several payloads through one stream, read back by the class the client uses."""
    encoder, decoder = make_encoder(COMPRESSION), _ActiveDecompressionContext()
    payloads = [{"op": 10, "d": {"heartbeat_interval": 41250}}, {"op": 11}, {"t": "X" * 5000}]
    for payload in payloads:
        frame = encoder.encode(json.dumps(payload))
        assert isinstance(frame, bytes)
        assert json.loads(decoder.decompress(frame) or "") == payload
