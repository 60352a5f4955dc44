"""How late the event loop runs: the one number that says whether the bot is responsive.

Every handler, heartbeat and reaction waits its turn on the loop; a blocking call anywhere
delays them all. A monitor task asks to wake every `interval` seconds and records how much
later than asked it woke. The health endpoint reports percentiles over the recent samples,
and a long stall is logged when it happens, so a regression is visible in production and in
bench/, not only in a profiler.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

log = logging.getLogger(__name__)


class LoopLagMonitor:
    def __init__(self, interval: float = 0.05, keep: int = 12_000, warn_after: float = 0.5) -> None:
        self.interval = interval
        self.warn_after = warn_after
        self._lags: deque[float] = deque(maxlen=keep)  # 10 minutes at 50 ms
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name="loop-lag")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def summary(self) -> dict[str, float | int]:
        """Milliseconds late over the recent samples: median, 99th percentile and worst."""
        ordered = sorted(self._lags)
        if not ordered:
            return {"samples": 0}

        def at(q: float) -> float:
            return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

        return {"samples": len(ordered), "p50": at(0.5), "p99": at(0.99), "max": at(1.0)}

    async def _watch(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.interval)
            lag = max(0.0, time.perf_counter() - asked - self.interval)
            self._lags.append(lag)
            if lag > self.warn_after:
                log.warning("the event loop was blocked for %.0f ms", 1000 * lag)
