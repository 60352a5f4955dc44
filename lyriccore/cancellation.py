"""Cooperative cancellation: a generation checks an Event each step, since a thread cannot be
killed from outside."""

from __future__ import annotations

import threading

from lyriccore.errors import GenerationCancelled


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise GenerationCancelled("generation was cancelled")
