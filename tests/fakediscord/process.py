"""``BotProcess``: the real bot as a subprocess, launched through launch.py at a FakeDiscord.

A plain ``subprocess.Popen`` polled from the event loop, not ``asyncio.create_subprocess_exec``:
asyncio's subprocess transport is never closed by itself and its ResourceWarning becomes an
error under this project's ``filterwarnings = error``.
"""

# ruff: noqa: ASYNC109 - test helpers take `timeout` so a timeout can say what it awaited

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import FakeDiscord

LAUNCHER = Path(__file__).with_name("launch.py")


class BotProcess:
    """Starts ``python launch.py <api_base> --gateway <url> -- <module> <args>``; logs to a file.

    The child gets its own process group, so ``kill()`` also ends whatever it spawned
    (e.g. a training worker); ``terminate()`` sends SIGTERM to the bot alone, like
    ``docker stop``, so graceful shutdown can be tested.
    """

    def __init__(
        self,
        discord: FakeDiscord,
        module_args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        log_path: str | os.PathLike[str] | None = None,
        inherit_env: bool = True,
    ) -> None:
        self.discord = discord
        self.module_args = list(module_args)
        self.env = dict(env or {})
        self.cwd = Path(cwd) if cwd is not None else Path.cwd()
        self.log_path = Path(log_path) if log_path is not None else self.cwd / "bot.log"
        self.inherit_env = inherit_env
        self.starts = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def argv(self) -> list[str]:
        return [
            sys.executable,
            str(LAUNCHER),
            self.discord.api_base,
            "--gateway",
            self.discord.gateway_url,
            "--",
            *self.module_args,
        ]

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.terminate()

    async def start(self) -> None:
        if self.running:
            raise RuntimeError("bot process already running")
        env = {**(os.environ if self.inherit_env else {}), **self.env, "PYTHONUNBUFFERED": "1"}
        self.starts += 1
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"--- fakediscord: start #{self.starts}: {self.argv}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(  # noqa: ASYNC220 - returns right after fork/exec
                self.argv,
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def wait(self, timeout: float | None = None) -> int:
        """Waits for the process to exit; returns its exit code."""
        proc = self._require()
        async with asyncio.timeout(timeout):
            while proc.poll() is None:  # noqa: ASYNC110 - a child exit has no event to await
                await asyncio.sleep(0.02)
        return proc.returncode

    async def terminate(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait up to ``timeout``, then SIGKILL; returns the exit code."""
        if self._proc is None:
            return None
        if self.running:
            self._proc.send_signal(signal.SIGTERM)
            try:
                await self.wait(timeout)
            except TimeoutError:
                return await self.kill()
        self._kill_group()
        return self._proc.returncode

    async def kill(self) -> int | None:
        """SIGKILL to the bot and everything in its process group: a crash, no cleanup."""
        if self._proc is None:
            return None
        self._kill_group()
        return await self.wait(10.0)

    async def restart(self, timeout: float = 10.0) -> None:
        await self.terminate(timeout)
        await self.start()

    def _kill_group(self) -> None:
        proc = self._require()
        with contextlib.suppress(ProcessLookupError, PermissionError):  # group already gone
            os.killpg(proc.pid, signal.SIGKILL)

    def _require(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise RuntimeError("bot process was never started")
        return self._proc

    # -- logs --------------------------------------------------------------------------------

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_for_log(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        """Waits for a regex to appear in the bot's output (fails early if the bot died)."""
        regex = re.compile(pattern)
        try:
            async with asyncio.timeout(timeout):
                while (match := regex.search(self.log_text())) is None:
                    if not self.running and (match := regex.search(self.log_text())) is None:
                        raise AssertionError(f"bot exited before logging {pattern!r}")
                    await asyncio.sleep(0.05)
        except TimeoutError:
            tail = self.log_text()[-2000:]
            raise AssertionError(f"no {pattern!r} in bot log after {timeout}s:\n{tail}") from None
        return match
