"""Locks that hold across processes sharing one database: work that must happen once (the
nightly retrain) and IDENTIFY pacing across sharded bot processes.

On PostgreSQL a lock is a session advisory lock on a connection of its own; on SQLite (whose
processes share a host by nature) an exclusive ``flock`` on a file beside the database. Both
are let go by the operating system or the server when the holder dies, so a killed process
never leaves a lock behind and nothing needs an expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from bot.storage.backend import Backend
from bot.storage.postgres_backend import PostgresBackend
from bot.storage.sqlite_backend import SqliteBackend

POLL_SECONDS = 0.2


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name`` (the same in every process)."""
    return int.from_bytes(
        hashlib.sha256(f"lyricbot:{name}".encode()).digest()[:8], "big", signed=True
    )


@contextlib.asynccontextmanager
async def try_lock(backend: Backend, name: str) -> AsyncIterator[bool]:
    """Take the lock ``name`` if no process holds it; yields whether this one got it."""
    if isinstance(backend, PostgresBackend):
        async with backend.connection() as conn:
            got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(name)))
            try:
                yield got
            finally:
                if got:
                    await conn.execute("SELECT pg_advisory_unlock($1)", lock_key(name))
        return
    if not isinstance(backend, SqliteBackend):
        raise TypeError(f"no cross-process lock for {type(backend).__name__}")
    fd = await asyncio.to_thread(_open_lock_file, backend.path, name)
    try:
        got = await asyncio.to_thread(_flock, fd)
        yield got
    finally:
        await asyncio.to_thread(os.close, fd)  # closing the file lets the lock go


@contextlib.asynccontextmanager
async def hold_lock(backend: Backend, name: str) -> AsyncIterator[None]:
    """Wait until the lock ``name`` is free, then hold it for the block."""
    while True:
        async with try_lock(backend, name) as got:
            if got:
                yield
                return
        await asyncio.sleep(POLL_SECONDS)


def _open_lock_file(database: Path, name: str) -> int:
    path = database.with_name(f".{database.name}.{name}.lock")
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def _flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
