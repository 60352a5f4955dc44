"""What a test does as a Discord *user*: run commands, click, submit, react, post.

Each action builds the payload the Discord client would cause and dispatches it over the
gateway, exactly as the real bot would receive it.
"""

# ruff: noqa: ASYNC109 - test helpers take `timeout` so a timeout can say what it awaited

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from typing import Any

from .commands import (
    ATTACHMENT,
    CHANNEL,
    MENTIONABLE,
    ROLE,
    USER,
    CommandNotPermitted,
    InvalidInvocation,
    build_invocation,
    find_component,
)
from .gateway import GUILD_MESSAGES, MESSAGE_CONTENT, Gateway
from .interactions import FakeInteraction
from .models import FakeChannel, FakeMember, FakeRole, FakeUser, MessageRecord, Perm, Upload
from .state import DiscordState

APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
UserLike = FakeMember | FakeUser


class UserActions:
    """Mixin for ``FakeDiscord``: the user-side actions (needs ``state``, ``gateway``, ``user``)."""

    state: DiscordState
    gateway: Gateway
    user: FakeMember
    channel_id: int
    ui_settle: float

    # -- slash commands ----------------------------------------------------------------------

    async def invoke_slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: UserLike | None = None,
        channel_id: int | None = None,
        check_permissions: bool = True,
    ) -> FakeInteraction:
        """Runs ``/name`` ("corpus approve" for subcommands), typed by its synced definition."""
        channel = self._channel(channel_id)
        command = self._synced_command(name, channel.guild_id)
        member = self._as_member(user, channel)
        if check_permissions:
            self._check_permissions(command, member)
        invocation = build_invocation(command, name.split()[1:], options or {}, self._resolve)
        data = self._command_data(command, invocation.options, invocation.resolved)
        return await self._dispatch_interaction(APPLICATION_COMMAND, name, data, member, channel)

    async def invoke_forged(
        self,
        name: str,
        options: list[dict[str, Any]],
        *,
        user: UserLike | None = None,
        channel_id: int | None = None,
    ) -> FakeInteraction:
        """Runs ``/name`` with ``options`` exactly as given (``name``, ``type``, ``value``),
        neither typed nor checked: what a forged or buggy client could send."""
        channel = self._channel(channel_id)
        command = self._synced_command(name, channel.guild_id)
        member = self._as_member(user, channel)
        data = self._command_data(command, options, {})
        return await self._dispatch_interaction(APPLICATION_COMMAND, name, data, member, channel)

    async def invoke_autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        user: UserLike | None = None,
        channel_id: int | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Types into option ``focused`` of ``/name``; returns the bot's choices."""
        channel = self._channel(channel_id)
        command = self._synced_command(name, channel.guild_id)
        values = {focused: "", **options}
        invocation = build_invocation(command, name.split()[1:], values, self._resolve, focused)
        data = self._command_data(command, invocation.options, invocation.resolved)
        member = self._as_member(user, channel)
        interaction = await self._dispatch_interaction(AUTOCOMPLETE, name, data, member, channel)
        return await interaction.wait_for_choices(timeout)

    def _synced_command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        top = name.split()[0]
        for scope in (guild_id, None):
            for command in self.state.commands.get(scope, []):
                if command["name"] == top and int(command.get("type", 1)) == 1:
                    return command
        synced = sorted(c["name"] for cmds in self.state.commands.values() for c in cmds)
        raise InvalidInvocation(f"/{top} was never synced (synced: {synced})")

    def _check_permissions(self, command: dict[str, Any], member: UserLike) -> None:
        """Discord hides a command from members lacking its default_member_permissions."""
        required = command.get("default_member_permissions")
        if required is None or not isinstance(member, FakeMember):
            return
        permissions = self.state.guilds[member.guild_id].permissions_of(member)
        needed = int(required)
        if permissions & Perm.ADMINISTRATOR or (needed and permissions & needed == needed):
            return
        raise CommandNotPermitted(
            f"{member.user.username} lacks permissions {needed} for /{command['name']}"
        )

    def _command_data(
        self, command: dict[str, Any], options: list[dict[str, Any]], resolved: dict[str, Any]
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": options,
        }
        if resolved:
            data["resolved"] = resolved
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return data

    def _resolve(self, kind: int, value: Any) -> tuple[str, dict[str, dict[str, Any]]]:
        """Snowflake-typed option values, with the ``resolved`` objects Discord sends along."""
        if kind == ATTACHMENT and isinstance(value, Upload):
            upload = self.state.store_uploads(self.channel_id, [value])[0]
            return str(upload.id), {"attachments": {str(upload.id): upload.payload()}}
        if kind in (USER, MENTIONABLE) and isinstance(value, FakeMember | FakeUser):
            return str(value.id), self._resolved_user(value)
        if kind in (ROLE, MENTIONABLE) and isinstance(value, FakeRole):
            return str(value.id), {"roles": {str(value.id): value.payload()}}
        if kind == CHANNEL and isinstance(value, FakeChannel):
            item = {"id": str(value.id), "name": value.name, "type": value.type, "permissions": "0"}
            return str(value.id), {"channels": {str(value.id): item}}
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value), {}
        raise InvalidInvocation(f"cannot use {value!r} for an option of type {kind}")

    def _resolved_user(self, value: UserLike) -> dict[str, dict[str, Any]]:
        user = value.user if isinstance(value, FakeMember) else value
        resolved: dict[str, dict[str, Any]] = {"users": {str(user.id): user.payload()}}
        if isinstance(value, FakeMember):
            member = value.payload(self.state.guilds[value.guild_id].permissions_of(value))
            member.pop("user")
            resolved["members"] = {str(user.id): member}
        return resolved

    # -- components and modals ---------------------------------------------------------------

    async def invoke_component(
        self,
        message: MessageRecord | int,
        custom_id: str,
        *,
        user: UserLike | None = None,
        values: list[str] | None = None,
    ) -> FakeInteraction:
        """Clicks a button (or picks ``values`` in a select) on a message the bot sent."""
        record = self._message(message)
        await self._settle(record.updated_at)
        component = find_component(record.components, custom_id)
        if component is None:
            raise InvalidInvocation(f"message {record.id} has no component {custom_id!r}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        channel = self._channel(record.channel_id)
        member = self._as_member(user, channel)
        return await self._dispatch_interaction(
            COMPONENT, custom_id, data, member, channel, message=record
        )

    async def submit_modal(
        self,
        opened_by: FakeInteraction,
        values: Mapping[str, str],
        *,
        user: UserLike | None = None,
    ) -> FakeInteraction:
        """Fills in and submits the modal the bot opened in answer to ``opened_by``."""
        modal = opened_by.modal
        if modal is None:
            raise InvalidInvocation(f"/{opened_by.name} did not open a modal")
        await self._settle(max(c.at for c in opened_by.callbacks))
        for custom_id in values:
            if find_component(modal.get("components") or [], custom_id) is None:
                raise InvalidInvocation(f"modal {modal.get('custom_id')!r} has no {custom_id!r}")
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": cid, "value": value}]}
            for cid, value in values.items()
        ]
        data = {"custom_id": modal["custom_id"], "components": rows}
        channel = self._channel(opened_by.channel_id)
        member = self._as_member(user or opened_by.user, channel)
        source = self.state.messages.get(opened_by.message_id or 0)
        return await self._dispatch_interaction(
            MODAL_SUBMIT, modal["custom_id"], data, member, channel, message=source
        )

    async def _settle(self, since: float) -> None:
        """Human reaction time: discord.py registers a view or modal only after it has read
        the HTTP response that sent it, so a click dispatched the instant the fake stored the
        message can beat that and be dropped as "unknown view"."""
        delay = since + self.ui_settle - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    # -- the interaction envelope ------------------------------------------------------------

    async def _dispatch_interaction(
        self,
        kind: int,
        name: str,
        data: dict[str, Any],
        member: UserLike,
        channel: FakeChannel,
        message: MessageRecord | None = None,
    ) -> FakeInteraction:
        interaction = FakeInteraction(
            id=self.state.ids.next(),
            token=f"interaction.{secrets.token_urlsafe(32)}",
            type=kind,
            name=name,
            payload={},
            user=member,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            signal=self.state.signal,
            message_id=message.id if message else None,
        )
        interaction.payload = self._envelope(interaction, data, member, channel, message)
        self.state.interactions[interaction.id] = interaction
        interaction.created_at = asyncio.get_running_loop().time()
        await self.gateway.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    def _envelope(
        self,
        interaction: FakeInteraction,
        data: dict[str, Any],
        member: UserLike,
        channel: FakeChannel,
        message: MessageRecord | None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(interaction.id),
            "application_id": str(self.state.app_id),
            "type": interaction.type,
            "token": interaction.token,
            "version": 1,
            "data": data,
            "channel_id": str(channel.id),
            "channel": channel.payload(),
            "app_permissions": str(self.state.bot_permissions(channel.guild_id)),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "context": 0 if channel.guild_id is not None else 1,
        }
        if isinstance(member, FakeMember):
            guild = self.state.guilds[member.guild_id]
            payload["member"] = member.payload(guild.permissions_of(member))
            payload["guild_id"] = str(guild.id)
            payload["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["authorizing_integration_owners"] = {"0": str(guild.id)}
        else:
            payload["user"] = member.payload()
            payload["authorizing_integration_owners"] = {"1": str(member.id)}
        if message is not None:
            payload["message"] = message.payload(self.state.bot.id)
        return payload

    # -- reactions and plain messages --------------------------------------------------------

    async def add_reaction(self, message: MessageRecord | int, user: UserLike, emoji: str) -> bool:
        """A user reacts; returns False if the bot's intents mean it never hears about it."""
        record = self._message(message)
        self.state.react(record, user.id, emoji, add=True)
        return await self.state.announce_reaction(record, user.id, emoji, add=True)

    async def remove_reaction(
        self, message: MessageRecord | int, user: UserLike, emoji: str
    ) -> bool:
        record = self._message(message)
        self.state.react(record, user.id, emoji, add=False)
        return await self.state.announce_reaction(record, user.id, emoji, add=False)

    async def post_message(
        self, content: str, *, user: UserLike | None = None, channel_id: int | None = None
    ) -> MessageRecord:
        """A user posts in a channel; without MESSAGE_CONTENT the bot gets empty content."""
        channel = self._channel(channel_id)
        member = self._as_member(user, channel)
        author = member.user if isinstance(member, FakeMember) else member
        record = self.state.create_message(channel, author, {"content": content}, [])
        data = self.state.message_event(record)
        session = self.gateway.current
        mentioned = f"<@{self.state.bot.id}>" in content
        if session is not None and not session.intents & MESSAGE_CONTENT and not mentioned:
            data.update(content="", embeds=[], attachments=[], components=[])
        await self.gateway.dispatch("MESSAGE_CREATE", data, GUILD_MESSAGES)
        return record

    # -- lookups -----------------------------------------------------------------------------

    def _channel(self, channel_id: int | None) -> FakeChannel:
        channel = self.state.channel(channel_id or self.channel_id)
        if channel is None:
            raise InvalidInvocation(f"no channel {channel_id}")
        return channel

    def _message(self, message: MessageRecord | int) -> MessageRecord:
        message_id = message.id if isinstance(message, MessageRecord) else message
        record = self.state.messages.get(message_id)
        if record is None:
            raise InvalidInvocation(f"no message {message_id}")
        return record

    def _as_member(self, user: UserLike | None, channel: FakeChannel) -> UserLike:
        """Guild channels need a member of that guild; DMs take the plain user."""
        user = user or self.user
        if channel.guild_id is None:
            return user.user if isinstance(user, FakeMember) else user
        member = self.state.member(channel.guild_id, user.id)
        if member is None:
            raise InvalidInvocation(f"{user} is not a member of guild {channel.guild_id}")
        return member
