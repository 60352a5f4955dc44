"""A backup is one self-contained SQLite file, whichever backend it was taken from.

From SQLite it is the online backup API's copy; from PostgreSQL it is every table copied out
of one repeatable-read snapshot by the same copier as ``lyricbot migrate``. One format means
``lyricbot restore`` puts any backup into either backend, and needs no ``pg_dump`` whose
version must match the server's. Interaction tokens are secrets that expire within 15
minutes: no backup holds any. The file is written beside its place and renamed into it, so
``path`` is either the old file or a complete copy.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

from bot.storage import migrations, transfer
from bot.storage.errors import StorageError
from bot.storage.postgres_backend import PostgresBackend
from bot.storage.sqlite_backend import SqliteBackend

_WITHOUT_TOKENS = tuple(t for t in transfer.COPIED_TABLES if t[0] != "pending_requests")


async def backup_sqlite(source: SqliteBackend, path: Path) -> None:
    """SQLite's online backup API: a consistent snapshot even with writes in flight."""
    target_path, own_path = await asyncio.gather(
        asyncio.to_thread(path.resolve), asyncio.to_thread(source.path.resolve)
    )
    if target_path == own_path:
        raise StorageError(f"cannot back up {source.path} onto itself")
    partial = await _partial_for(path)
    target = await asyncio.to_thread(_open_backup_target, partial)
    try:
        await source.connection.backup(target)
        await asyncio.to_thread(_finish_backup, target, partial, path)
    except BaseException:
        await asyncio.to_thread(_discard_backup, target, partial)
        raise


async def backup_to_sqlite(source: PostgresBackend, path: Path) -> None:
    """Every table but the tokens', from one snapshot, into a fresh SQLite file."""
    partial = await _partial_for(path)
    await asyncio.to_thread(_remove_partial, partial)
    target = await SqliteBackend.open(partial)
    try:
        await migrations.migrate(target)
        async with source.snapshot() as snap, target.transaction() as tx:
            await transfer.copy_tables(snap, tx, "sqlite", _WITHOUT_TOKENS)
        await target.execute("PRAGMA journal_mode = DELETE")
    except BaseException:
        await target.close()
        await asyncio.to_thread(_remove_partial, partial)
        raise
    await target.close()
    await asyncio.to_thread(os.replace, partial, path)


async def _partial_for(path: Path) -> Path:
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def _open_backup_target(partial: Path) -> sqlite3.Connection:
    """Start from an empty file; a leftover from a crashed backup must not be merged in.

    ``check_same_thread=False`` because aiosqlite's thread writes to it during the backup;
    only one thread uses it at a time.
    """
    _remove_partial(partial)
    return sqlite3.connect(partial, check_same_thread=False)


def _finish_backup(target: sqlite3.Connection, partial: Path, path: Path) -> None:
    """Make the copy a single rollback-journal file, close it, then rename it into place.

    VACUUM rebuilds it so no deleted token lingers in a free page."""
    target.execute("DELETE FROM pending_requests")
    target.commit()
    target.execute("PRAGMA journal_mode = DELETE")
    target.execute("VACUUM")
    target.close()
    os.replace(partial, path)


def _discard_backup(target: sqlite3.Connection, partial: Path) -> None:
    target.close()
    _remove_partial(partial)


def _remove_partial(partial: Path) -> None:
    for leftover in (partial, Path(f"{partial}-journal"), Path(f"{partial}-wal")):
        leftover.unlink(missing_ok=True)
