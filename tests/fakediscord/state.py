"""Everything the fake Discord knows, and the one place messages are created and changed.

REST handlers and the test-side API both go through here, so a message the bot sends and
a reaction a test adds produce the same records and the same gateway events.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import traceback
from dataclasses import dataclass, field
from typing import Any

from .gateway import (
    DIRECT_MESSAGE_REACTIONS,
    DIRECT_MESSAGES,
    GUILD_MESSAGE_REACTIONS,
    GUILD_MESSAGES,
    Gateway,
)
from .interactions import FakeInteraction
from .models import (
    EVERYONE_PERMISSIONS,
    LOADING,
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
    Snowflakes,
    Upload,
    emoji_payload,
)
from .waiting import ChangeSignal

log = logging.getLogger(__name__)
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | Perm.MANAGE_MESSAGES | Perm.EMBED_LINKS | Perm.ATTACH_FILES


@dataclass
class SyncCall:
    """One bulk overwrite of application commands (``guild_id`` None means global)."""

    guild_id: int | None
    commands: list[dict[str, Any]]


@dataclass
class DiscordState:
    """The fake's world: one application, its bot user, guilds, messages and interactions."""

    signal: ChangeSignal
    ids: Snowflakes = field(default_factory=Snowflakes)
    token: str = field(default_factory=lambda: f"fake.{secrets.token_urlsafe(24)}")
    guilds: dict[int, FakeGuild] = field(default_factory=dict)
    users: dict[int, FakeUser] = field(default_factory=dict)
    dm_channels: dict[int, FakeChannel] = field(default_factory=dict)
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    interactions: dict[int, FakeInteraction] = field(default_factory=dict)
    commands: dict[int | None, list[dict[str, Any]]] = field(default_factory=dict)
    command_ids: dict[tuple[int | None, str, int], int] = field(default_factory=dict)
    sync_calls: list[SyncCall] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)
    unknown_routes: list[RequestRecord] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    uploads: dict[int, Upload] = field(default_factory=dict)
    origin: str = ""
    shard_count: int = 1
    gateway: Gateway | None = None
    version: int = 0
    app_id: int = field(init=False)
    bot: FakeUser = field(init=False)
    owner: FakeUser = field(init=False)

    def __post_init__(self) -> None:
        self.app_id = self.ids.next()
        self.bot = self.add_user("lyricbot", bot=True, user_id=self.app_id)
        self.owner = self.add_user("owner")

    # -- people and places -------------------------------------------------------------------

    def add_user(self, name: str, *, bot: bool = False, user_id: int | None = None) -> FakeUser:
        user = FakeUser(id=user_id or self.ids.next(), username=name, bot=bot, global_name=name)
        self.users[user.id] = user
        return user

    def add_guild(self, spec: GuildSpec) -> FakeGuild:
        shard, count = spec.shard, self.shard_count
        guild_id = self.ids.next() if shard is None else self.ids.on_shard(shard, count)
        guild = FakeGuild(id=guild_id, name=spec.name, owner_id=self.owner.id)
        guild.roles[guild.id] = FakeRole(guild.id, "@everyone", int(EVERYONE_PERMISSIONS))
        bot_role = FakeRole(self.ids.next(), "lyricbot", int(BOT_PERMISSIONS), 1, managed=True)
        guild.roles[bot_role.id] = bot_role
        for position, name in enumerate(spec.channels):
            channel = FakeChannel(self.ids.next(), name, guild.id, position=position)
            guild.channels[channel.id] = channel
        guild.members[self.bot.id] = FakeMember(self.bot, guild.id, [bot_role.id])
        guild.members[self.owner.id] = FakeMember(self.owner, guild.id)
        self.guilds[guild.id] = guild
        return guild

    def add_role(self, guild_id: int, name: str, permissions: int) -> FakeRole:
        guild = self.guilds[guild_id]
        role = FakeRole(self.ids.next(), name, int(permissions), position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def channel(self, channel_id: int) -> FakeChannel | None:
        if channel_id in self.dm_channels:
            return self.dm_channels[channel_id]
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return None

    def member(self, guild_id: int | None, user_id: int) -> FakeMember | None:
        guild = self.guilds.get(guild_id) if guild_id is not None else None
        return guild.members.get(user_id) if guild is not None else None

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        for channel in self.dm_channels.values():
            if channel.recipients and channel.recipients[0].id == user.id:
                return channel
        channel = FakeChannel(self.ids.next(), "", None, type=1, recipients=[user])
        self.dm_channels[channel.id] = channel
        return channel

    def bot_permissions(self, guild_id: int | None) -> int:
        member = self.member(guild_id, self.bot.id)
        return (
            int(BOT_PERMISSIONS)
            if member is None
            else self.guilds[member.guild_id].permissions_of(member)
        )

    # -- messages ----------------------------------------------------------------------------

    def changed(self) -> None:
        self.signal.notify()

    def crashed(self, error: BaseException) -> None:
        """A bug in the fake itself; kept so a test can fail on it instead of timing out."""
        text = "".join(traceback.format_exception(error))
        log.error("fake discord crashed:\n%s", text)
        self.server_errors.append(text)
        self.changed()

    def bump(self, message: MessageRecord) -> None:
        self.version += 1
        message.version = self.version
        message.updated_at = asyncio.get_running_loop().time()

    def store_uploads(self, channel_id: int, files: list[Upload]) -> list[Upload]:
        for upload in files:
            upload.id = self.ids.next()
            upload.url = f"{self.origin}/attachments/{channel_id}/{upload.id}/{upload.filename}"
            self.uploads[upload.id] = upload
        return files

    def create_message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        payload: dict[str, Any],
        files: list[Upload],
        interaction: FakeInteraction | None = None,
    ) -> MessageRecord:
        message = MessageRecord(
            id=self.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            interaction_id=interaction.id if interaction else None,
            webhook_id=self.app_id if interaction else None,
        )
        message.apply(payload, self.store_uploads(channel.id, files))
        self.messages[message.id] = message
        if interaction is not None:
            interaction.messages.append(message)
        self.bump(message)
        self.changed()
        return message

    def edit_message(
        self,
        message: MessageRecord,
        payload: dict[str, Any],
        files: list[Upload],
        *,
        counts_as_edit: bool = True,
    ) -> None:
        message.apply(payload, self.store_uploads(message.channel_id, files))
        message.flags &= ~LOADING  # editing a deferred placeholder makes it the reply
        message.edit_count += int(counts_as_edit)
        self.bump(message)
        self.changed()

    def message_event(self, message: MessageRecord) -> dict[str, Any]:
        data = message.payload(self.bot.id)
        member = self.member(message.guild_id, message.author.id)
        if member is not None and message.webhook_id is None:
            data["member"] = {k: v for k, v in member.payload().items() if k != "user"}
        return data

    async def announce(self, event: str, message: MessageRecord) -> None:
        """MESSAGE_CREATE/UPDATE/DELETE as Discord sends them: never for ephemeral messages."""
        if self.gateway is None or self.gateway.current is None or message.ephemeral:
            return
        intent = GUILD_MESSAGES if message.guild_id is not None else DIRECT_MESSAGES
        if event == "MESSAGE_DELETE":
            data: dict[str, Any] = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.guild_id is not None:
                data["guild_id"] = str(message.guild_id)
        else:
            data = self.message_event(message)
        await self.gateway.dispatch(event, data, intent)

    # -- reactions ---------------------------------------------------------------------------

    def react(self, message: MessageRecord, user_id: int, emoji: str, *, add: bool) -> bool:
        """Adds or removes one reaction record; False when nothing changed."""
        existing = [r for r in message.reactions if r.emoji == emoji and r.user_id == user_id]
        if add and not existing:
            message.reactions.append(ReactionRecord(emoji=emoji, user_id=user_id))
        elif not add and existing:
            message.reactions.remove(existing[0])
        else:
            return False
        self.changed()
        return True

    async def announce_reaction(
        self, message: MessageRecord, user_id: int, emoji: str, *, add: bool
    ) -> bool:
        """MESSAGE_REACTION_ADD/REMOVE; the ADD event of a guild message carries the member."""
        if self.gateway is None or self.gateway.current is None:
            return False
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "emoji": emoji_payload(emoji),
            "burst": False,
            "type": 0,
        }
        intent = DIRECT_MESSAGE_REACTIONS
        if message.guild_id is not None:
            intent = GUILD_MESSAGE_REACTIONS
            data["guild_id"] = str(message.guild_id)
            member = self.member(message.guild_id, user_id)
            if add and member is not None:
                data["member"] = member.payload()
        if add:
            data["message_author_id"] = str(message.author.id)
            data["burst_colors"] = []
        event = "MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE"
        return await self.gateway.dispatch(event, data, intent)
