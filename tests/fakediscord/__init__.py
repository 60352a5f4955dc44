"""A fake Discord (REST + gateway) for end-to-end tests of the real, unmodified discord.py bot.

The bot runs as a subprocess started through ``launch.py``, which points discord.py at
this server; tests act as users (slash commands, reactions, clicks) and assert what a user
would see. See ``server.FakeDiscord`` for the test-side API.
"""

from .commands import CommandNotPermitted, InvalidInvocation
from .gateway import (
    DIRECT_MESSAGES,
    GUILD_MEMBERS,
    GUILD_MESSAGE_REACTIONS,
    GUILD_MESSAGES,
    GUILDS,
    MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
)
from .interactions import CallbackRecord, FakeInteraction
from .local import fetch, free_port
from .models import (
    EPHEMERAL,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    GuildSpec,
    MessageRecord,
    Perm,
    ReactionRecord,
    RequestRecord,
    Upload,
)
from .process import BotProcess
from .server import FakeDiscord
from .state import SyncCall
from .waiting import FakeDiscordTimeout

__all__ = [
    "DIRECT_MESSAGES",
    "EPHEMERAL",
    "GUILDS",
    "GUILD_MEMBERS",
    "GUILD_MESSAGES",
    "GUILD_MESSAGE_REACTIONS",
    "MESSAGE_CONTENT",
    "PRIVILEGED_INTENTS",
    "BotProcess",
    "CallbackRecord",
    "CommandNotPermitted",
    "FakeChannel",
    "FakeDiscord",
    "FakeDiscordTimeout",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "GuildSpec",
    "InvalidInvocation",
    "MessageRecord",
    "Perm",
    "ReactionRecord",
    "RequestRecord",
    "SyncCall",
    "Upload",
    "fetch",
    "free_port",
]
