"""The embedded backend: one aiosqlite connection to one file, the default.

aiosqlite runs the connection on its own thread and executes calls in order, so the event
loop never blocks on disk and concurrent tasks never interleave inside a statement. A single
statement commits on its own (autocommit mode); a transaction holds the write lock for its
whole length, so another task's statement can never land inside it and be rolled back with it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage import connection
from bot.storage.backend import ConstraintError, ConstraintKind, Params, Row, WriteResult
from bot.storage.dialect import Dialect, Query, text_for
from bot.storage.errors import StorageError

_CONSTRAINT_KINDS: dict[int, ConstraintKind] = {
    sqlite3.SQLITE_CONSTRAINT_UNIQUE: "unique",
    sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY: "unique",
    sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY: "foreign_key",
    sqlite3.SQLITE_CONSTRAINT_CHECK: "check",
    sqlite3.SQLITE_CONSTRAINT_NOTNULL: "not_null",
}


def _constraint_error(exc: sqlite3.IntegrityError) -> ConstraintError:
    return ConstraintError(_CONSTRAINT_KINDS.get(exc.sqlite_errorcode, "other"), str(exc))


class _SqliteExecutor:
    """Statements on the connection, with no locking of their own (the owner locks)."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: Query, params: Params = ()) -> WriteResult:
        try:
            async with self._conn.execute(text_for(sql, "sqlite"), params) as cursor:
                return WriteResult(cursor.rowcount)
        except sqlite3.IntegrityError as exc:
            raise _constraint_error(exc) from exc

    async def executemany(self, sql: Query, rows: Sequence[Params]) -> None:
        try:
            await self._conn.executemany(text_for(sql, "sqlite"), rows)
        except sqlite3.IntegrityError as exc:
            raise _constraint_error(exc) from exc

    async def insert(self, sql: Query, params: Params = ()) -> int:
        try:
            async with self._conn.execute(text_for(sql, "sqlite"), params) as cursor:
                new_id = cursor.lastrowid
        except sqlite3.IntegrityError as exc:
            raise _constraint_error(exc) from exc
        if new_id is None:  # cannot happen for a rowid table; keeps the type honest
            raise StorageError("SQLite did not report the new row's id")
        return new_id

    async def fetchall(self, sql: Query, params: Params = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(text_for(sql, "sqlite"), params))


class SqliteBackend:
    """One SQLite file; every call goes through one connection, writes under one lock."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn: aiosqlite.Connection | None = conn
        self._raw = _SqliteExecutor(conn)
        self._lock = asyncio.Lock()
        self.path = path
        self.location = str(path)

    @classmethod
    async def open(cls, path: Path) -> SqliteBackend:
        return cls(await connection.connect(path), path)

    @property
    def connection(self) -> aiosqlite.Connection:
        """The live connection (SQLite's backup API needs it); raises once closed."""
        return self._check_open()

    def _check_open(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StorageError(f"database {self.path} is closed")
        return self._conn

    async def execute(self, sql: Query, params: Params = ()) -> WriteResult:
        self._check_open()
        async with self._lock:
            return await self._raw.execute(sql, params)

    async def executemany(self, sql: Query, rows: Sequence[Params]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def insert(self, sql: Query, params: Params = ()) -> int:
        self._check_open()
        async with self._lock:
            return await self._raw.insert(sql, params)

    async def fetchall(self, sql: Query, params: Params = ()) -> list[Row]:
        self._check_open()
        return await self._raw.fetchall(sql, params)

    @asynccontextmanager
    async def transaction(self, lock_key: int | None = None) -> AsyncIterator[_SqliteExecutor]:
        """``BEGIN IMMEDIATE`` takes the file's write lock, which is the lock ``lock_key``
        asks for: no other process writes until this commits."""
        conn = self.connection
        async with self._lock, connection.transaction(conn):
            yield self._raw

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[_SqliteExecutor]:
        """A read transaction: WAL gives it one state of the file however long it reads."""
        conn = self.connection
        async with self._lock:
            await conn.execute("BEGIN")
            try:
                yield self._raw
            finally:
                await conn.rollback()

    async def close(self) -> None:
        """Close the connection; safe to call twice. Runs ``PRAGMA optimize`` first, as advised."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.execute("PRAGMA optimize")
        finally:
            await conn.close()
