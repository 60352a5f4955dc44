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


class Ticket:
    """A place in line; identity is all it carries."""


class GenerationQueue:
    def __init__(self, workers: int, capacity: int, *, typical_seconds: float = 2.0) -> None:
        self.workers = workers
        self.capacity = capacity
        self.typical_seconds = typical_seconds
        self._waiting: deque[Ticket] = deque()
        self._running = 0
        self._changed = asyncio.Condition()

    @property
    def depth(self) -> int:
        return len(self._waiting) + self._running

    def check_room(self) -> None:
        if self.depth >= self.capacity + self.workers:
            rounds = self.depth / self.workers
            raise QueueFull(retry_after=max(1.0, rounds * self.typical_seconds))

    def admit(self) -> Ticket:
        """Take a place in line now, synchronously, or raise QueueFull: admission happens on
        arrival, before the caller commits to a public answer (a Discord defer)."""
        self.check_room()
        ticket = Ticket()
        self._waiting.append(ticket)
        return ticket

    async def withdraw(self, ticket: Ticket) -> None:
        """Give up a place that will not be used."""
        async with self._changed:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            self._changed.notify_all()

    @asynccontextmanager
    async def slot(
        self, ticket: Ticket | None = None, on_position: PositionCallback | None = None
    ) -> AsyncIterator[None]:
        """Wait for the ticket's turn (admitting one if none is given), then hold a worker."""
        ticket = ticket or self.admit()
        try:
            await self._wait_turn(ticket, on_position)
        except BaseException:
            await self.withdraw(ticket)
            raise
        try:
            yield
        finally:
            async with self._changed:
                self._running -= 1
                self._changed.notify_all()

    async def _wait_turn(self, ticket: Ticket, on_position: PositionCallback | None) -> None:
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
