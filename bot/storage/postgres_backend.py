"""The server backend: an asyncpg pool on a PostgreSQL database, for several bot processes.

Statements are written SQLite's way (``:name`` and ``?`` placeholders) and renumbered here to
PostgreSQL's ``$1, $2…`` once per distinct text. Each call takes a pooled connection for its
statement or transaction, so writes from many tasks and processes run side by side and the
server orders them; ``jsonb`` values decode to Python numbers and strings, as SQLite's
``json_extract`` gives them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from bot.storage.backend import ConstraintError, ConstraintKind, Params, Row, WriteResult
from bot.storage.dialect import Dialect, Query, text_for
from bot.storage.errors import StorageError

POOL_SIZE = 8
"""Connections per process: a handful of concurrent writes; the server allows ~100 in all."""

_TOKEN = re.compile(r"'(?:[^']|'')*'|::|:([A-Za-z_]\w*)|\?")

_CONSTRAINT_KINDS: tuple[tuple[type[Exception], ConstraintKind], ...] = (
    (asyncpg.UniqueViolationError, "unique"),
    (asyncpg.ForeignKeyViolationError, "foreign_key"),
    (asyncpg.CheckViolationError, "check"),
    (asyncpg.NotNullViolationError, "not_null"),
)


@functools.lru_cache(maxsize=512)
def renumber(sql: str) -> tuple[str, tuple[str | int, ...]]:
    """``sql`` with ``$n`` placeholders, and what each ``$n`` takes: a name or a position.

    A name used twice is one ``$n``; string literals and ``::`` casts are left alone.
    """
    order: list[str | int] = []

    def place(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("'") or token == "::":
            return token
        key: str | int = match.group(1) if token != "?" else sum(isinstance(k, int) for k in order)
        if key not in order or isinstance(key, int):
            order.append(key)
        return f"${order.index(key) + 1}"

    return _TOKEN.sub(place, sql), tuple(order)


def bind(sql: Query, params: Params) -> tuple[str, list[Any]]:
    text, order = renumber(text_for(sql, "postgres"))
    if isinstance(params, Mapping):
        return text, [params[key] for key in order]
    return text, list(params)


def _constraint_error(exc: asyncpg.IntegrityConstraintViolationError) -> ConstraintError:
    kind = next((kind for cls, kind in _CONSTRAINT_KINDS if isinstance(exc, cls)), "other")
    return ConstraintError(kind, str(exc))


def _rowcount(status: str) -> int:
    """``UPDATE 3``, ``INSERT 0 1``, ``DELETE 0``: the last word is the count of rows."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _PostgresExecutor:
    """Statements on one pooled connection."""

    dialect: Dialect = "postgres"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: Query, params: Params = ()) -> WriteResult:
        text, args = bind(sql, params)
        try:
            return WriteResult(_rowcount(await self._conn.execute(text, *args)))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise _constraint_error(exc) from exc

    async def executemany(self, sql: Query, rows: Sequence[Params]) -> None:
        if not rows:
            return
        text, _ = bind(sql, rows[0])
        try:
            await self._conn.executemany(text, [bind(sql, row)[1] for row in rows])
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise _constraint_error(exc) from exc

    async def insert(self, sql: Query, params: Params = ()) -> int:
        text, args = bind(sql, params)
        try:
            new_id = await self._conn.fetchval(f"{text} RETURNING id", *args)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise _constraint_error(exc) from exc
        return int(new_id)

    async def fetchall(self, sql: Query, params: Params = ()) -> list[Row]:
        text, args = bind(sql, params)
        return list(await self._conn.fetch(text, *args))


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class PostgresBackend:
    """A PostgreSQL database, reached through a pool of connections."""

    dialect: Dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool, location: str) -> None:
        self._pool: asyncpg.Pool | None = pool
        self.location = location

    @classmethod
    async def open(cls, dsn: str, location: str) -> PostgresBackend:
        """Connect; a refused connection or login is one line naming the server, never the
        password (``location`` is the URL without it)."""
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=1, max_size=POOL_SIZE, init=_init_connection
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StorageError(f"cannot open database {location}: {exc}") from exc
        return cls(pool, location)

    def _open_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageError(f"database {self.location} is closed")
        return self._pool

    async def execute(self, sql: Query, params: Params = ()) -> WriteResult:
        async with self._open_pool().acquire() as conn:
            return await _PostgresExecutor(conn).execute(sql, params)

    async def executemany(self, sql: Query, rows: Sequence[Params]) -> None:
        async with self._open_pool().acquire() as conn:
            await _PostgresExecutor(conn).executemany(sql, rows)

    async def insert(self, sql: Query, params: Params = ()) -> int:
        async with self._open_pool().acquire() as conn:
            return await _PostgresExecutor(conn).insert(sql, params)

    async def fetchall(self, sql: Query, params: Params = ()) -> list[Row]:
        async with self._open_pool().acquire() as conn:
            return await _PostgresExecutor(conn).fetchall(sql, params)

    @asynccontextmanager
    async def transaction(self, lock_key: int | None = None) -> AsyncIterator[_PostgresExecutor]:
        """``lock_key`` is a transaction-level advisory lock: two processes migrating at once
        take turns, and the lock goes with the transaction even if the process dies."""
        async with self._open_pool().acquire() as conn, conn.transaction():
            if lock_key is not None:
                await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key)
            yield _PostgresExecutor(conn)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[_PostgresExecutor]:
        async with (
            self._open_pool().acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield _PostgresExecutor(conn)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """One pooled connection of its own: LISTEN and session locks need one that lives."""
        async with self._open_pool().acquire() as conn:
            yield conn

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
