"""The rest of the harness against real discord.py: ephemeral replies, edits, autocomplete,
typed and ranged options, subcommand groups with permissions, modals, buttons, attachments,
and plain channel posts. One throwaway bot (written to tmp_path) has a command for each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from . import BotProcess, CommandNotPermitted, FakeDiscord, InvalidInvocation, Upload
from .conftest import RunBot

FEATURE_BOT = """
import io
import logging
import os

import discord
from discord import app_commands
from discord.ext import commands

GUILD = discord.Object(int(os.environ["TEST_GUILD_ID"]))


@app_commands.command(description="A reply only the caller sees")
async def secret(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("only you", ephemeral=True)


@app_commands.command(description="Think privately, then edit in an embed")
async def fancy(interaction: discord.Interaction, title: str) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    await interaction.edit_original_response(embed=discord.Embed(title=title, description="v"))


async def styles(interaction: discord.Interaction, current: str) -> list:
    names = ("folk", "pop", "punk")
    return [app_commands.Choice(name=s, value=s) for s in names if s.startswith(current)]


@app_commands.command(description="Pick a style")
@app_commands.autocomplete(style=styles)
async def pick(
    interaction: discord.Interaction,
    style: str,
    temperature: app_commands.Range[float, 0.1, 2.0] = 1.0,
    count: app_commands.Range[int, 1, 5] = 1,
) -> None:
    await interaction.response.send_message(f"{style} {temperature!r} {count!r}")


class Suggest(discord.ui.Modal, title="Suggest a line"):
    line = discord.ui.TextInput(label="Line", custom_id="line")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.line.value}")


@app_commands.command(description="Open a form")
async def form(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(Suggest())


class Vote(discord.ui.View):
    @discord.ui.button(label="Up", custom_id="vote:up")
    async def up(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="voted up", view=None)


@app_commands.command(description="Vote on it")
async def vote(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("vote please", view=Vote())


@app_commands.command(description="Upload a corpus file")
async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
    data = await file.read()
    upper = discord.File(io.BytesIO(data.upper()), filename="upper.txt")
    await interaction.response.send_message(f"{file.filename}: {len(data)} bytes", file=upper)


@app_commands.command(description="Post in the channel")
async def announce(interaction: discord.Interaction, text: str) -> None:
    await interaction.channel.send(text)
    await interaction.response.send_message("posted", ephemeral=True)


@app_commands.command(description="Whisper to the caller")
async def whisper(interaction: discord.Interaction) -> None:
    await interaction.user.send("psst")
    await interaction.response.send_message("sent", ephemeral=True)


corpus = app_commands.Group(
    name="corpus",
    description="Corpus admin",
    default_permissions=discord.Permissions(manage_guild=True),
)


@corpus.command(name="approve", description="Approve a submission")
async def approve(interaction: discord.Interaction, id: int) -> None:
    await interaction.response.send_message(f"approved {id!r} by {interaction.user.name}")


class FeatureBot(commands.Bot):
    async def setup_hook(self) -> None:
        for command in (secret, fancy, pick, form, vote, upload, announce, whisper, corpus):
            self.tree.add_command(command, guild=GUILD)
        await self.tree.sync(guild=GUILD)


intents = discord.Intents.default()
intents.members = intents.message_content = True
bot = FeatureBot(command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=0.1)


@bot.event
async def on_ready() -> None:
    members = await bot.get_guild(GUILD.id).chunk()
    logging.getLogger("discord.featurebot").info("CHUNKED %d members", len(members))


@bot.event
async def on_message(message: discord.Message) -> None:
    if message.content == "!ping":
        await message.reply("pong")

bot.run(os.environ["TEST_TOKEN"], log_level=logging.INFO)
"""


@pytest.fixture
async def bot(run_bot: RunBot) -> AsyncIterator[BotProcess]:
    async with run_bot("featurebot", FEATURE_BOT, {}) as process:
        yield process


async def test_ephemeral_reply(discord: FakeDiscord, bot: BotProcess) -> None:
    interaction = await discord.invoke_slash("secret")
    reply = await interaction.wait_for_reply()
    assert (reply.content, reply.ephemeral) == ("only you", True)
    assert [c.type for c in interaction.callbacks] == [4]


async def test_deferred_ephemeral_then_edited_original(
    discord: FakeDiscord, bot: BotProcess
) -> None:
    interaction = await discord.invoke_slash("fancy", {"title": "Night Drive"})
    reply = await interaction.wait_for_reply()
    assert reply.ephemeral and reply is interaction.original
    assert reply.embeds[0]["title"] == "Night Drive"
    assert [c.name for c in interaction.callbacks] == ["deferred message"]


async def test_autocomplete_and_typed_ranged_options(discord: FakeDiscord, bot: BotProcess) -> None:
    choices = await discord.invoke_autocomplete("pick", {"style": "p"}, focused="style")
    assert [c["name"] for c in choices] == ["pop", "punk"]
    interaction = await discord.invoke_slash(
        "pick", {"style": "folk", "temperature": 0.8, "count": 2}
    )
    assert (await interaction.wait_for_reply()).content == "folk 0.8 2"
    with pytest.raises(InvalidInvocation, match="outside"):
        await discord.invoke_slash("pick", {"style": "folk", "temperature": 3.0})


async def test_subcommand_group_needs_its_default_permissions(
    discord: FakeDiscord, bot: BotProcess
) -> None:
    with pytest.raises(CommandNotPermitted):
        await discord.invoke_slash("corpus approve", {"id": 3})  # the plain default user
    admin = discord.make_admin("mod")
    interaction = await discord.invoke_slash("corpus approve", {"id": 3}, user=admin)
    assert (await interaction.wait_for_reply()).content == "approved 3 by mod"


async def test_modal_round_trip(discord: FakeDiscord, bot: BotProcess) -> None:
    opened = await discord.invoke_slash("form")
    assert (await opened.wait_for_callback()).name == "modal"
    submitted = await discord.submit_modal(opened, {"line": "neon rain"})
    assert (await submitted.wait_for_reply()).content == "thanks: neon rain"


async def test_button_click_updates_the_message(discord: FakeDiscord, bot: BotProcess) -> None:
    message = await (await discord.invoke_slash("vote")).wait_for_reply()
    click = await discord.invoke_component(message, "vote:up")
    assert (await click.wait_for_callback()).name == "update message"
    assert (message.content, message.components) == ("voted up", [])


async def test_attachment_option_and_file_reply(discord: FakeDiscord, bot: BotProcess) -> None:
    corpus = Upload("corpus.txt", b"la la la", "text/plain")
    interaction = await discord.invoke_slash("upload", {"file": corpus})
    reply = await interaction.wait_for_reply()
    assert reply.content == "corpus.txt: 8 bytes"
    [sent] = reply.attachments
    assert (sent.filename, sent.data) == ("upper.txt", b"LA LA LA")


async def test_channel_post_outside_the_reply(discord: FakeDiscord, bot: BotProcess) -> None:
    interaction = await discord.invoke_slash("announce", {"text": "new model trained"})
    assert (await interaction.wait_for_reply()).content == "posted"
    post = await discord.wait_for_message(lambda m: m.content == "new model trained")
    assert post.interaction_id is None and post.channel_id == discord.channel_id


async def test_dm_to_the_caller(discord: FakeDiscord, bot: BotProcess) -> None:
    interaction = await discord.invoke_slash("whisper")
    assert (await interaction.wait_for_reply()).content == "sent"
    dm = await discord.wait_for_message(lambda m: m.content == "psst")
    assert dm.guild_id is None


async def test_user_messages_and_member_chunks(discord: FakeDiscord, bot: BotProcess) -> None:
    await bot.wait_for_log(r"CHUNKED 3 members")  # bot, owner, tester
    assert any(p["op"] == 8 for p in discord.gateway.received)  # asked via REQUEST_GUILD_MEMBERS
    ping = await discord.post_message("!ping")
    pong = await discord.wait_for_message(lambda m: m.content == "pong")
    assert pong.reference_id == ping.id


async def test_privileged_intents_not_enabled_in_the_portal(tmp_path: Path) -> None:
    """Discord closes the gateway with 4014; discord.py raises PrivilegedIntentsRequired."""
    (tmp_path / "featurebot.py").write_text(FEATURE_BOT)
    async with FakeDiscord(privileged_intents=0) as strict:
        env = {"TEST_TOKEN": strict.token, "TEST_GUILD_ID": str(strict.guild_id)}
        async with BotProcess(strict, ["featurebot"], env=env, cwd=tmp_path) as process:
            assert await process.wait(15) != 0
    assert "PrivilegedIntentsRequired" in process.log_text()


async def test_a_callback_after_the_deadline_is_unknown_interaction(tmp_path: Path) -> None:
    (tmp_path / "featurebot.py").write_text(FEATURE_BOT)
    async with FakeDiscord(interaction_deadline=0.0) as hasty:
        env = {"TEST_TOKEN": hasty.token, "TEST_GUILD_ID": str(hasty.guild_id)}
        async with BotProcess(hasty, ["featurebot"], env=env, cwd=tmp_path) as process:
            await hasty.wait_until_identified(15)
            interaction = await hasty.invoke_slash("secret")
            await process.wait_for_log("10062.*Unknown interaction")
    assert interaction.late_callbacks == 1 and interaction.callbacks == []
