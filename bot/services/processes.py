"""Helpers for the child processes the bot starts (training runs)."""

from __future__ import annotations

import os

BACKGROUND_NICENESS = 10


def lower_priority() -> None:
    """Run in the child before exec: training must never slow down answering."""
    os.nice(BACKGROUND_NICENESS)
