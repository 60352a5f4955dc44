"""A liveness endpoint on 127.0.0.1 for compose, systemd or a monitor: is the gateway
connected, is a model loaded, how deep is the queue. It reads state, never changes it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)
HEALTH_PATH = "/health"


class HealthServer:
    def __init__(self, port: int, report: Callable[[], dict[str, Any]]) -> None:
        self.port = port
        self.report = report
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """A busy port costs the health check, not the bot: warn and carry on serving."""
        app = web.Application()
        app.router.add_get(HEALTH_PATH, self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        except OSError as exc:
            log.warning("health endpoint not started on port %d: %s", self.port, exc.strerror)
            return
        log.info("health endpoint on http://127.0.0.1:%d%s", self.port, HEALTH_PATH)

    async def _handle(self, request: web.Request) -> web.Response:
        body = self.report()
        status = 200 if body["healthy"] else 503
        return web.Response(text=json.dumps(body), status=status, content_type="application/json")

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
