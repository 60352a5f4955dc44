"""A cache of one read-only object per loaded model (its word sets, its token table).

Built on a model's first constrained request, shared by every thread after, and forgotten
once eight newer models have been served, so a long-running bot that swaps models does not
keep every old model's word sets alive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from lyriccore.checkpoint import LoadedModel

T = TypeVar("T")
KEEP = 8


class PerModel(Generic[T]):
    def __init__(self, build: Callable[[LoadedModel], T]) -> None:
        self._build = build
        self._entries: dict[int, tuple[LoadedModel, T]] = {}
        self._lock = threading.Lock()

    def __call__(self, loaded: LoadedModel) -> T:
        with self._lock:
            entry = self._entries.get(id(loaded.model))
            if entry is None or entry[0] is not loaded:
                entry = (loaded, self._build(loaded))
                self._entries[id(loaded.model)] = entry
                while len(self._entries) > KEEP:
                    self._entries.pop(next(iter(self._entries)))
            return entry[1]
