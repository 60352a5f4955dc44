"""The test's handle on one interaction: its callbacks, its messages, and waits on them."""

# ruff: noqa: ASYNC109 - test helpers take `timeout` so a timeout can say what it awaited

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .models import FakeMember, FakeUser, MessageRecord
from .waiting import ChangeSignal

DEFERRED_TYPES = {5, 6}
CALLBACK_NAMES = {
    1: "pong",
    4: "message",
    5: "deferred message",
    6: "deferred update",
    7: "update message",
    8: "autocomplete result",
    9: "modal",
    12: "launch activity",
}


@dataclass
class CallbackRecord:
    """One POST to ``/interactions/{id}/{token}/callback``."""

    type: int
    data: dict[str, Any]
    at: float = 0.0  # event-loop time it arrived

    @property
    def name(self) -> str:
        return CALLBACK_NAMES.get(self.type, f"type {self.type}")


@dataclass
class FakeInteraction:
    """Tracks what the bot did in answer to one interaction the test sent."""

    id: int
    token: str
    type: int
    name: str
    payload: dict[str, Any]
    user: FakeMember | FakeUser
    channel_id: int
    guild_id: int | None
    signal: ChangeSignal = field(repr=False)
    message_id: int | None = None  # the message a component/modal interaction came from
    created_at: float = 0.0
    callbacks: list[CallbackRecord] = field(default_factory=list)
    messages: list[MessageRecord] = field(default_factory=list)
    original: MessageRecord | None = None
    late_callbacks: int = 0

    @property
    def callback(self) -> CallbackRecord | None:
        return self.callbacks[0] if self.callbacks else None

    @property
    def deferred(self) -> bool:
        return self.callback is not None and self.callback.type in DEFERRED_TYPES

    @property
    def visible_messages(self) -> list[MessageRecord]:
        return [m for m in self.messages if m.visible]

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """The autocomplete choices the bot answered with, once it has."""
        for callback in self.callbacks:
            if callback.type == 8:
                return list(callback.data.get("choices") or [])
        return None

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened (callback type 9), as sent."""
        return next((c.data for c in self.callbacks if c.type == 9), None)

    async def wait_for_callback(self, timeout: float = 5.0) -> CallbackRecord:
        """Waits for the initial response (reply, defer, update, choices or modal)."""
        return await self.signal.wait_for(
            lambda: self.callback, timeout, f"a callback to /{self.name}", self._describe
        )

    async def wait_for_reply(
        self,
        timeout: float = 10.0,
        predicate: Callable[[MessageRecord], bool] | None = None,
    ) -> MessageRecord:
        """Waits for a visible message, then returns the most recently created or edited one.

        A deferred "thinking…" placeholder does not count until it is edited or filled by the
        first followup. Progress edits ("⏳ Queued…") *do* count, and the fake cannot know
        which edit is the last: when the bot edits in stages, pass ``predicate`` for the state
        you expect. The record is live — later edits show up in it.
        """

        def probe() -> MessageRecord | None:
            shown = [m for m in self.visible_messages if predicate is None or predicate(m)]
            return max(shown, key=lambda m: m.version) if shown else None

        return await self.signal.wait_for(
            probe, timeout, f"a reply to /{self.name}", self._describe
        )

    async def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[MessageRecord]:
        """Waits until ``count`` visible messages were sent for this interaction."""

        def probe() -> list[MessageRecord] | None:
            shown = self.visible_messages
            return shown if len(shown) >= count else None

        return await self.signal.wait_for(
            probe, timeout, f"{count} messages for /{self.name}", self._describe
        )

    async def wait_for_choices(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        return await self.signal.wait_for(
            lambda: self.choices, timeout, f"autocomplete for /{self.name}", self._describe
        )

    def _describe(self) -> str:
        calls = ", ".join(c.name for c in self.callbacks) or "none"
        shown = "; ".join(
            f"#{m.id} {'(loading) ' if m.loading else ''}{m.content[:60]!r}" for m in self.messages
        )
        return f"callbacks: {calls}; messages: {shown or 'none'}"
