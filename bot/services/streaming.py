"""An answer's lines as they are written, handed from the batch thread to the event loop.

The engine reports whole lines from its batch thread (lyriccore.batcher); whoever shows them
(a Discord message edited about once a second, the console printing as they come) waits on
the event loop. Only the latest text matters: a slow reader skips to it.
"""

from __future__ import annotations

import asyncio
import contextlib


class LiveText:
    """Made on the event loop; `hear` may be called from any thread."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.text = ""
        self.finished = False
        self.changed = asyncio.Event()

    def hear(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is reading
            self._loop.call_soon_threadsafe(self._update, text)

    def _update(self, text: str) -> None:
        self.text = text
        self.changed.set()

    def finish(self) -> None:
        """No more lines: wake the reader so it can stop."""
        self.finished = True
        self.changed.set()
