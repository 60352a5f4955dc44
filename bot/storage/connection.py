"""Opening a configured SQLite connection, explicit transactions, and splitting SQL scripts.

Kept apart from ``Database`` so that migrations (which run before a ``Database`` exists, and
in tests against a bare connection) use exactly the same settings and transaction handling.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage.errors import NotADatabaseError, StorageError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
"""How long a write waits for another process (say, training) to release the lock."""

_PRAGMAS = (
    # Set first, so switching to WAL below waits for a lock instead of failing at once.
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    # WAL: readers never block the writer, so /stats does not stall a generation being logged.
    "PRAGMA journal_mode = WAL",
    # NORMAL is durable against application crashes in WAL mode; only power loss can drop
    # the last commits, which is an acceptable trade for a generation log.
    "PRAGMA synchronous = NORMAL",
    # Off by default in SQLite and per connection: without it ON DELETE CASCADE does nothing.
    "PRAGMA foreign_keys = ON",
    # A deleted row's bytes are overwritten, not left in a free page: interaction tokens are
    # secrets, and a forgotten one must not linger in the file.
    "PRAGMA secure_delete = ON",
)


async def connect(path: Path) -> aiosqlite.Connection:
    """Open ``path`` in autocommit mode with the pragmas above; create parent directories.

    Autocommit (``isolation_level=None``) means a single statement commits by itself and a
    multi-statement write says ``BEGIN`` explicitly via ``transaction``, instead of Python's
    sqlite3 module opening transactions behind our back.
    """
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    try:
        await _configure(conn, path)
    except sqlite3.DatabaseError as exc:
        await conn.close()
        if exc.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            raise NotADatabaseError(path) from exc
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    except BaseException:
        await conn.close()
        raise
    return conn


async def _configure(conn: aiosqlite.Connection, path: Path) -> None:
    """Apply the pragmas; the first read of the file happens here, so bad files fail here."""
    conn.row_factory = sqlite3.Row
    for pragma in _PRAGMAS:
        async with conn.execute(pragma) as cursor:
            row = await cursor.fetchone()
        if "journal_mode" in pragma and row is not None and str(row[0]).lower() != "wal":
            log.warning("%s: journal_mode is %s, not WAL; readers may block writes", path, row[0])


@asynccontextmanager
async def transaction(conn: aiosqlite.Connection) -> AsyncIterator[None]:
    """Run the block in one transaction: commit if it finishes, roll back if it raises.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so two processes migrating at once
    queue on the busy timeout instead of deadlocking when both try to upgrade a read lock.
    """
    await conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        await conn.rollback()
        raise
    await conn.commit()


def split_statements(script: str) -> list[str]:
    """Split a SQL script into single statements, for running inside our own transaction.

    ``executescript`` would be simpler but commits any open transaction first, which would
    make a migration half-applied on failure. ``sqlite3.complete_statement`` knows about
    string literals and trigger bodies, so a ``;`` inside them does not split a statement.
    """
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement at end of script: {pending.strip()!r}")
    return statements
