"""Channel message and reaction routes: what the bot does outside interaction replies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import limits
from .commands import error_body
from .http_util import ApiError, body, files, json_response, no_content, snowflake, unknown
from .models import EPHEMERAL, LOADING, FakeChannel, MessageRecord
from .rest_interactions import check_message_body
from .state import DiscordState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MSG = "/channels/{channel_id}/messages/{message_id}"


class MessageRoutes:
    """POST/GET/PATCH/DELETE channel messages, typing, and reactions on messages."""

    def __init__(self, state: DiscordState) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        reactions = MSG + "/reactions"
        return [
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            ("GET", "/channels/{channel_id}/messages", self.history),
            ("POST", "/channels/{channel_id}/messages", self.send),
            ("GET", MSG, self.get_message),
            ("PATCH", MSG, self.edit),
            ("DELETE", MSG, self.delete),
            ("PUT", reactions + "/{emoji}/@me", self.react_own),
            ("DELETE", reactions + "/{emoji}/@me", self.unreact_own),
            ("DELETE", reactions + "/{emoji}/{user_id}", self.unreact_user),
            ("GET", reactions + "/{emoji}", self.reaction_users),
            ("DELETE", reactions, self.clear_reactions),
        ]

    # -- lookups -----------------------------------------------------------------------------

    def _channel(self, request: web.Request) -> FakeChannel:
        channel = self.state.channel(snowflake(request, "channel_id", "Channel", 10003))
        if channel is None:
            raise unknown("Channel", 10003)
        return channel

    def _message(self, request: web.Request) -> MessageRecord:
        channel = self._channel(request)
        message = self.state.messages.get(snowflake(request, "message_id", "Message", 10008))
        if message is None or message.deleted or message.channel_id != channel.id:
            raise unknown("Message", 10008)
        return message

    def _payload(self, message: MessageRecord) -> dict[str, Any]:
        return message.payload(self.state.bot.id)

    # -- channels and messages ---------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(self._channel(request).payload())

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return no_content()

    async def history(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        limit = min(int(request.query.get("limit", "50")), 100)
        before = int(request.query.get("before", "0")) or None
        after = int(request.query.get("after", "0"))
        found = [
            m
            for m in self.state.messages.values()
            if m.channel_id == channel.id
            and not m.deleted
            and not m.ephemeral
            and m.id > after
            and (before is None or m.id < before)
        ]
        found.sort(key=lambda m: m.id, reverse=True)
        return json_response([self._payload(m) for m in found[:limit]])

    async def send(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        payload, uploads = body(request), files(request)
        check_message_body(payload, uploads)
        if payload.get("message_reference"):
            referenced = self.state.messages.get(int(payload["message_reference"]["message_id"]))
            if referenced is None and payload["message_reference"].get("fail_if_not_exists", True):
                raise ApiError(400, 50035, "Invalid Form Body: Unknown message")
        if "flags" in payload:  # only interaction replies can be ephemeral
            payload["flags"] = int(payload["flags"] or 0) & ~(EPHEMERAL | LOADING)
        message = self.state.create_message(channel, self.state.bot, payload, uploads)
        await self.state.announce("MESSAGE_CREATE", message)
        return json_response(self._payload(message))

    async def get_message(self, request: web.Request) -> web.Response:
        return json_response(self._payload(self._message(request)))

    async def edit(self, request: web.Request) -> web.Response:
        message = self._message(request)
        if message.author.id != self.state.bot.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        problems = limits.message_problems(body(request))
        if problems:
            raise ApiError(400, 50035, "Invalid Form Body", errors=error_body(problems)["errors"])
        self.state.edit_message(message, body(request), files(request))
        await self.state.announce("MESSAGE_UPDATE", message)
        return json_response(self._payload(message))

    async def delete(self, request: web.Request) -> web.Response:
        message = self._message(request)
        message.deleted = True
        self.state.changed()
        await self.state.announce("MESSAGE_DELETE", message)
        return no_content()

    # -- reactions ---------------------------------------------------------------------------

    def _reactable(self, request: web.Request) -> tuple[MessageRecord, str]:
        message = self._message(request)
        if message.ephemeral:
            raise unknown("Message", 10008)  # ephemeral messages cannot carry reactions
        emoji = request.match_info["emoji"]
        if not limits.is_valid_emoji(emoji):
            raise unknown("Emoji", 10014)
        return message, emoji

    async def _set(self, request: web.Request, user_id: int, *, add: bool) -> web.Response:
        message, emoji = self._reactable(request)
        if self.state.react(message, user_id, emoji, add=add):
            await self.state.announce_reaction(message, user_id, emoji, add=add)
        return no_content()

    async def react_own(self, request: web.Request) -> web.Response:
        return await self._set(request, self.state.bot.id, add=True)

    async def unreact_own(self, request: web.Request) -> web.Response:
        return await self._set(request, self.state.bot.id, add=False)

    async def unreact_user(self, request: web.Request) -> web.Response:
        user_id = snowflake(request, "user_id", "User", 10013)
        return await self._set(request, user_id, add=False)

    async def reaction_users(self, request: web.Request) -> web.Response:
        message, emoji = self._reactable(request)
        users = [self.state.users.get(r.user_id) for r in message.reactions if r.emoji == emoji]
        return json_response([u.payload() for u in users if u is not None])

    async def clear_reactions(self, request: web.Request) -> web.Response:
        message = self._message(request)
        message.reactions.clear()
        self.state.changed()
        return no_content()
