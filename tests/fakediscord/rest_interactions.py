"""Interaction callbacks and the webhook routes discord.py uses for followups and @original.

Rules copied from Discord because bots get them wrong: the first callback must arrive within
the deadline (3 s) or the interaction is "Unknown interaction" (10062); a second callback is
40060 "already acknowledged"; followups before any callback are "Unknown Webhook"; each
interaction type accepts only some callback types.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import limits
from .commands import error_body
from .http_util import ApiError, body, files, json_response, no_content, snowflake, unknown
from .interactions import CallbackRecord, FakeInteraction
from .models import EPHEMERAL, LOADING, MessageRecord, Upload
from .state import DiscordState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


def check_message_body(payload: dict[str, Any], uploads: list[Upload]) -> None:
    """Raises Discord's 400s for an empty or oversized message body."""
    if limits.is_empty(payload, len(uploads)):
        raise ApiError(400, 50006, "Cannot send an empty message")
    problems = limits.message_problems(payload)
    if problems:
        raise ApiError(400, 50035, "Invalid Form Body", errors=error_body(problems)["errors"])


class InteractionRoutes:
    """POST callback, followup webhooks, and GET/PATCH/DELETE of interaction messages."""

    def __init__(self, state: DiscordState, deadline: float | None) -> None:
        self.state = state
        self.deadline = deadline

    def routes(self) -> list[tuple[str, str, Handler]]:
        msg = "/webhooks/{app_id}/{token}/messages/{message_id}"
        return [
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.callback),
            ("POST", "/webhooks/{app_id}/{token}", self.followup),
            ("GET", msg, self.get_message),
            ("PATCH", msg, self.edit_message),
            ("DELETE", msg, self.delete_message),
        ]

    # -- lookups -----------------------------------------------------------------------------

    def _by_id(self, request: web.Request) -> FakeInteraction:
        interaction_id = snowflake(request, "interaction_id", "interaction", 10062)
        interaction = self.state.interactions.get(interaction_id)
        if interaction is None or interaction.token != request.match_info["token"]:
            raise unknown("interaction", 10062)
        return interaction

    def _by_token(self, request: web.Request) -> FakeInteraction:
        app_id = snowflake(request, "app_id", "Webhook", 10015)
        token = request.match_info["token"]
        found = [i for i in self.state.interactions.values() if i.token == token]
        if app_id != self.state.app_id or not found or not found[0].callbacks:
            raise unknown("Webhook", 10015)
        return found[0]

    def _message(self, request: web.Request, interaction: FakeInteraction) -> MessageRecord:
        key = request.match_info["message_id"]
        if key == "@original":
            message = interaction.original
        else:
            wanted = int(key) if key.isdigit() else -1
            message = next((m for m in interaction.messages if m.id == wanted), None)
        if message is None or message.deleted:
            raise unknown("Message", 10008)
        return message

    # -- callback ----------------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        interaction = self._by_id(request)
        if interaction.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        age = asyncio.get_running_loop().time() - interaction.created_at
        if self.deadline is not None and age > self.deadline:
            interaction.late_callbacks += 1
            self.state.changed()
            raise unknown("interaction", 10062)
        payload = body(request)
        kind = int(payload.get("type", 0))
        if kind not in ALLOWED_CALLBACKS.get(interaction.type, set()):
            raise ApiError(400, 40043, f"Interaction response type {kind} invalid here")
        data = payload.get("data") or {}
        message = await self._apply_callback(interaction, kind, data, files(request))
        now = asyncio.get_running_loop().time()
        interaction.callbacks.append(CallbackRecord(type=kind, data=data, at=now))
        self.state.changed()
        if "with_response" not in request.query:
            return no_content()
        return json_response(self._callback_body(interaction, kind, message))

    async def _apply_callback(
        self, interaction: FakeInteraction, kind: int, data: dict[str, Any], uploads: list[Upload]
    ) -> MessageRecord | None:
        channel = self.state.channel(interaction.channel_id)
        assert channel is not None, "interactions are only sent to known channels"
        if kind == 4:
            check_message_body(data, uploads)
        if kind in (4, 5):
            placeholder = {"flags": LOADING | (int(data.get("flags") or 0) & EPHEMERAL)}
            initial = data if kind == 4 else placeholder
            message = self.state.create_message(
                channel, self.state.bot, initial, uploads, interaction
            )
            interaction.original = message
            await self.state.announce("MESSAGE_CREATE", message)
            return message
        source = self.state.messages.get(interaction.message_id or 0)
        if kind in (6, 7) and source is not None:
            interaction.original = source
            if kind == 7:
                self.state.edit_message(source, data, uploads)
                await self.state.announce("MESSAGE_UPDATE", source)
            return source
        return None

    def _callback_body(
        self, interaction: FakeInteraction, kind: int, message: MessageRecord | None
    ) -> dict[str, Any]:
        summary: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
        result: dict[str, Any] = {"interaction": summary}
        if message is not None:
            summary["response_message_id"] = str(message.id)
            summary["response_message_loading"] = message.loading
            summary["response_message_ephemeral"] = message.ephemeral
            result["resource"] = {"type": kind, "message": message.payload(self.state.bot.id)}
        return result

    # -- webhooks ----------------------------------------------------------------------------

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._by_token(request)
        payload, uploads = body(request), files(request)
        check_message_body(payload, uploads)
        message = await self._post_followup(interaction, payload, uploads)
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(message.payload(self.state.bot.id))
        return no_content()

    async def _post_followup(
        self, interaction: FakeInteraction, payload: dict[str, Any], uploads: list[Upload]
    ) -> MessageRecord:
        """The first followup after a defer fills in the "thinking…" message, keeping its
        ephemerality (Discord ignores the followup's own flag); later ones are new messages."""
        original = interaction.original
        if original is not None and original.loading and not original.deleted:
            fill = {k: v for k, v in payload.items() if k != "flags"}
            self.state.edit_message(original, fill, uploads, counts_as_edit=False)
            await self.state.announce("MESSAGE_UPDATE", original)
            return original
        channel = self.state.channel(interaction.channel_id)
        assert channel is not None, "interactions are only sent to known channels"
        message = self.state.create_message(channel, self.state.bot, payload, uploads, interaction)
        await self.state.announce("MESSAGE_CREATE", message)
        return message

    async def get_message(self, request: web.Request) -> web.Response:
        message = self._message(request, self._by_token(request))
        return json_response(message.payload(self.state.bot.id))

    async def edit_message(self, request: web.Request) -> web.Response:
        message = self._message(request, self._by_token(request))
        payload, uploads = body(request), files(request)
        problems = limits.message_problems(payload)
        if problems:
            raise ApiError(400, 50035, "Invalid Form Body", errors=error_body(problems)["errors"])
        self.state.edit_message(message, payload, uploads)
        await self.state.announce("MESSAGE_UPDATE", message)
        return json_response(message.payload(self.state.bot.id))

    async def delete_message(self, request: web.Request) -> web.Response:
        message = self._message(request, self._by_token(request))
        message.deleted = True
        self.state.changed()
        await self.state.announce("MESSAGE_DELETE", message)
        return no_content()
