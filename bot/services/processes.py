"""How the bot starts its child processes (training runs): niced, and tied to its life.

A trainer that outlives the bot keeps writing into a folder the next bot process owns, and
holds a core nobody asked for. On Linux the kernel ends the child when its parent dies, even
by SIGKILL (PR_SET_PDEATHSIG); the parent's pid is checked after setting it, since a parent
that died a moment before would never send the signal.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

BACKGROUND_NICENESS = 10
PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def child_setup() -> Callable[[], None]:
    """A `preexec_fn`, made in the parent so the child knows whose death ends it."""
    parent = os.getpid()

    def setup() -> None:  # runs in the child, between fork and exec
        os.nice(BACKGROUND_NICENESS)  # training must never slow down answering
        if _LIBC is not None:
            _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return setup
