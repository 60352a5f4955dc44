"""IDENTIFY pacing across every process of a sharded bot.

Discord lets a bot start one session per ``max_concurrency`` bucket (``shard_id %
max_concurrency``) every 5 seconds, counted over all its processes, and answers more with
a refused connection. Each bucket is a lock in the database every process shares
(``bot.storage.locks``): a shard takes its bucket's lock before it IDENTIFYs and lets it go
5 seconds later, so the next shard of that bucket, in this process or another, waits its turn.
"""

from __future__ import annotations

import asyncio
import logging

from bot.storage.backend import Backend
from bot.storage.locks import hold_lock

log = logging.getLogger(__name__)
IDENTIFY_SPACING = 5.0


class IdentifyPacer:
    def __init__(self, backend: Backend, spacing: float = IDENTIFY_SPACING) -> None:
        self.backend = backend
        self.spacing = spacing
        self._holders: set[asyncio.Task[None]] = set()

    async def wait_turn(self, shard_id: int, max_concurrency: int) -> None:
        """Return when ``shard_id`` may IDENTIFY; its bucket stays taken for ``spacing`` s."""
        bucket = shard_id % max(1, max_concurrency)
        turn = asyncio.get_running_loop().create_future()
        holder = asyncio.create_task(self._hold(bucket, turn), name=f"identify-{bucket}")
        self._holders.add(holder)
        holder.add_done_callback(self._holders.discard)
        await asyncio.wait({turn, holder}, return_when=asyncio.FIRST_COMPLETED)
        if not turn.done():
            holder.result()  # the lock could not be had: say why
        log.info("shard %d identifies (bucket %d)", shard_id, bucket)

    async def _hold(self, bucket: int, turn: asyncio.Future[None]) -> None:
        async with hold_lock(self.backend, f"identify-{bucket}"):
            turn.set_result(None)
            await asyncio.sleep(self.spacing)

    async def close(self) -> None:
        for holder in list(self._holders):
            holder.cancel()
        await asyncio.gather(*self._holders, return_exceptions=True)
