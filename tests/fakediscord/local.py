"""Ports and plain HTTP on 127.0.0.1 for tests: a free port to give the fake or the bot, and
the bot's own JSON endpoints (health) read the way a monitor would."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> tuple[int, dict[str, Any]]:
    """(status, JSON body); an error status (503 while unhealthy) still has its body read."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
