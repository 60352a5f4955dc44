"""A bounded, ordered queue in front of the generation workers.

Requests run in arrival order on at most `workers` slots; at most `capacity` may wait. A
waiting request is told its position whenever it changes, so users see progress instead of
silence, and a request beyond capacity is refused at once rather than piling up.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.services.errors import QueueFull

PositionCallback = Callable[[int], Awaitable[None]]


class GenerationQueue:
    def __init__(self, workers: int, capacity: int, *, typical_seconds: float = 2.0) -> None:
        self.workers = workers
        self.capacity = capacity
        self.typical_seconds = typical_seconds
        self._waiting: deque[object] = deque()
        self._running = 0
        self._changed = asyncio.Condition()

    @property
    def depth(self) -> int:
        return len(self._waiting) + self._running

    def check_room(self) -> None:
        """Refuse now, before the caller commits to answering, if the queue is full."""
        if len(self._waiting) >= self.capacity and self._running >= self.workers:
            rounds = len(self._waiting) / self.workers + 1
            raise QueueFull(retry_after=max(1.0, rounds * self.typical_seconds))

    @asynccontextmanager
    async def slot(self, on_position: PositionCallback | None = None) -> AsyncIterator[None]:
        self.check_room()
        ticket = object()
        self._waiting.append(ticket)
        try:
            await self._wait_turn(ticket, on_position)
        except BaseException:
            await self._leave(ticket)
            raise
        try:
            yield
        finally:
            async with self._changed:
                self._running -= 1
                self._changed.notify_all()

    async def _wait_turn(self, ticket: object, on_position: PositionCallback | None) -> None:
        """Wait for a free slot at the head of the line; report position changes outside the
        lock, since reporting (a Discord edit) may be slow."""
        reported = 0
        while True:
            async with self._changed:
                if self._running < self.workers and self._waiting[0] is ticket:
                    self._waiting.popleft()
                    self._running += 1
                    self._changed.notify_all()
                    return
                position = self._waiting.index(ticket) + 1
                if on_position is None or position == reported:
                    await self._changed.wait()
                    continue
            reported = position
            await on_position(position)

    async def _leave(self, ticket: object) -> None:
        async with self._changed:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            self._changed.notify_all()
