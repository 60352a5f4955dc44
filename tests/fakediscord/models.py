"""Data held by the fake Discord: users, guilds, messages, and the JSON shapes discord.py parses.

Every ``payload()`` here returns exactly the keys discord.py 2.7 reads without a default
(``Member`` needs ``flags``, ``User`` needs ``avatar`` and ``discriminator``, a raw reaction
needs ``type``, a text channel needs ``position``); a missing one would crash the bot's
parser inside the gateway task, far from the test that caused it.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from enum import IntFlag
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
EPHEMERAL = 1 << 6
LOADING = 1 << 7
TIMESTAMP = "2024-01-01T00:00:00.000000+00:00"


class Perm(IntFlag):
    """The guild permission bits the harness hands out (values from the Discord API)."""

    ADMINISTRATOR = 1 << 3
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    USE_EXTERNAL_EMOJIS = 1 << 18
    USE_APPLICATION_COMMANDS = 1 << 31


EVERYONE_PERMISSIONS = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.ADD_REACTIONS
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.USE_APPLICATION_COMMANDS
)
ALL_PERMISSIONS = (1 << 53) - 1


class Snowflakes:
    """Makes unique, increasing snowflakes whose timestamp part is the real current time."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (millis << 22) | (next(self._counter) & 0x3FFFFF)

    def on_shard(self, shard: int, shard_count: int) -> int:
        """A new snowflake that Discord routes to ``shard`` of ``shard_count``
        (``(id >> 22) % shard_count``): its timestamp moved on by under ``shard_count`` ms."""
        snowflake = self.next()
        while (snowflake >> 22) % shard_count != shard:
            snowflake += 1 << 22
        return snowflake


@dataclass
class FakeUser:
    """A Discord user; tests pass these as the author of commands and reactions."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class FakeRole:
    """A guild role; its permissions decide what a member may invoke."""

    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(int(self.permissions)),
            "position": self.position,
            "color": 0,
            "hoist": False,
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class FakeMember:
    """A user's membership of one guild, with the roles that grant its permissions."""

    user: FakeUser
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    def payload(self, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user": self.user.payload(),
            "roles": [str(r) for r in self.role_ids],
            "nick": self.nick,
            "joined_at": TIMESTAMP,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }
        if permissions is not None:
            data["permissions"] = str(int(permissions))
        return data


@dataclass
class FakeChannel:
    """A text channel in a guild, or a DM channel (type 1) when ``guild_id`` is None."""

    id: int
    name: str
    guild_id: int | None
    type: int = 0
    position: int = 0
    recipients: list[FakeUser] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        if self.guild_id is None:
            return {
                "id": str(self.id),
                "type": 1,
                "recipients": [u.payload() for u in self.recipients],
                "last_message_id": None,
            }
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "last_message_id": None,
        }


@dataclass(frozen=True)
class GuildSpec:
    """What a test asks for: a guild name and the names of its text channels."""

    name: str = "Lyric Lab"
    channels: tuple[str, ...] = ("general",)
    shard: int | None = None
    """The shard the guild is routed to, of the fake's ``shard_count`` (None: wherever its id
    falls)."""


@dataclass
class FakeGuild:
    """A guild as the bot sees it in GUILD_CREATE: roles, channels and members."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)

    def permissions_of(self, member: FakeMember) -> int:
        """Guild-level permissions, computed the way Discord does (owner and admin get all)."""
        if member.id == self.owner_id:
            return ALL_PERMISSIONS
        perms = self.roles[self.id].permissions
        for role_id in member.role_ids:
            perms |= self.roles[role_id].permissions
        return ALL_PERMISSIONS if perms & Perm.ADMINISTRATOR else int(perms)

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "owner_id": str(self.owner_id),
            "unavailable": False,
            "large": False,
            "member_count": len(self.members),
            "icon": None,
            "features": [],
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "system_channel_flags": 0,
            "joined_at": TIMESTAMP,
            "roles": [r.payload() for r in self.roles.values()],
            "channels": [c.payload() for c in self.channels.values()],
            "members": [m.payload() for m in self.members.values()],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class Upload:
    """A file a user attaches to a command option, or one the bot uploads with a message."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    id: int = 0
    url: str = ""

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }


@dataclass
class ReactionRecord:
    """One user's reaction on a message; ``emoji`` is ``"👍"`` or ``"name:id"``."""

    emoji: str
    user_id: int


@dataclass
class RequestRecord:
    """One REST call the bot made, as tests assert on it."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 0
    files: list[Upload] = field(default_factory=list)
    at: float = 0.0  # event-loop time it arrived


@dataclass
class MessageRecord:
    """A message as stored by the fake; edits update it in place, so tests see the latest."""

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Upload] = field(default_factory=list)
    interaction_id: int | None = None
    webhook_id: int | None = None
    reference_id: int | None = None
    reactions: list[ReactionRecord] = field(default_factory=list)
    edit_count: int = 0
    deleted: bool = False
    version: int = 0
    updated_at: float = 0.0  # event-loop time of the last create/edit

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while the message is a deferred "thinking…" placeholder."""
        return bool(self.flags & LOADING)

    @property
    def visible(self) -> bool:
        return not self.deleted and not self.loading

    def apply(self, payload: dict[str, Any], files: list[Upload]) -> None:
        """Applies a create or edit body: only the keys present change, like Discord's PATCH."""
        if "content" in payload:
            self.content = payload["content"] or ""
        if "embeds" in payload:
            self.embeds = list(payload["embeds"] or [])
        if "allowed_mentions" in payload:
            self.allowed_mentions = payload["allowed_mentions"]
        if "components" in payload:
            self.components = list(payload["components"] or [])
        if "flags" in payload and payload["flags"] is not None:
            self.flags = (self.flags & EPHEMERAL) | int(payload["flags"])
        if "attachments" in payload or files:
            kept = {str(a.get("id")) for a in payload.get("attachments") or []}
            self.attachments = [a for a in self.attachments if str(a.id) in kept] + files
        if payload.get("message_reference"):
            self.reference_id = int(payload["message_reference"]["message_id"])

    def payload(self, bot_id: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": 20 if self.interaction_id else (19 if self.reference_id else 0),
            "content": self.content,
            "author": self.author.payload(),
            "embeds": self.embeds,
            "attachments": [a.payload() for a in self.attachments],
            "components": self.components,
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": TIMESTAMP,
            "edited_timestamp": TIMESTAMP if self.edit_count else None,
            "flags": self.flags,
            "reactions": self._reaction_payloads(bot_id),
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
            data["application_id"] = str(self.webhook_id)
        if self.reference_id is not None:
            data["message_reference"] = {
                "message_id": str(self.reference_id),
                "channel_id": str(self.channel_id),
            }
        return data

    def _reaction_payloads(self, bot_id: int) -> list[dict[str, Any]]:
        counts: dict[str, list[int]] = {}
        for reaction in self.reactions:
            counts.setdefault(reaction.emoji, []).append(reaction.user_id)
        return [
            {
                "emoji": emoji_payload(emoji),
                "count": len(users),
                "me": bot_id in users,
                "me_burst": False,
                "burst_colors": [],
                "count_details": {"burst": 0, "normal": len(users)},
            }
            for emoji, users in counts.items()
        ]


def emoji_payload(emoji: str) -> dict[str, Any]:
    """``"👍"`` → unicode emoji; ``"name:123"`` (the form discord.py puts in URLs) → custom."""
    head, sep, emoji_id = emoji.rpartition(":")
    if sep and emoji_id.isdigit():
        return {"id": emoji_id, "name": head.split(":")[-1] or None}
    return {"id": None, "name": emoji}
