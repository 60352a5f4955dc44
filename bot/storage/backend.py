"""What the storage layer needs of a database connection, whichever server holds the data.

``Database`` and the migrations talk only to a ``Backend``: ``SqliteBackend`` (one aiosqlite
connection, the embedded default) and ``PostgresBackend`` (an asyncpg pool) both satisfy it.
Rows come back as objects indexable by column name and position (``sqlite3.Row`` and
``asyncpg.Record`` both are), and integrity failures from either driver become one
``ConstraintError`` naming which kind of constraint refused the write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, NamedTuple, Protocol

from bot.storage.dialect import Dialect, Query
from bot.storage.errors import StorageError

Params = Sequence[Any] | Mapping[str, Any]
Row = Any
"""A result row: ``row["column"]`` and ``row[0]`` both work (sqlite3.Row, asyncpg.Record)."""

ConstraintKind = Literal["unique", "foreign_key", "check", "not_null", "other"]


class WriteResult(NamedTuple):
    rowcount: int


class ConstraintError(StorageError):
    """A write the schema refused; ``kind`` says which constraint, whichever backend."""

    def __init__(self, kind: ConstraintKind, detail: str) -> None:
        super().__init__(f"{kind} constraint failed: {detail}")
        self.kind: ConstraintKind = kind


class Executor(Protocol):
    """Statements on one connection, or inside one transaction."""

    async def execute(self, sql: Query, params: Params = ()) -> WriteResult: ...

    async def executemany(self, sql: Query, rows: Sequence[Params]) -> None: ...

    async def insert(self, sql: Query, params: Params = ()) -> int:
        """Run an ``INSERT`` into a table with an ``id`` key and return the new row's id."""
        ...

    async def fetchall(self, sql: Query, params: Params = ()) -> list[Row]: ...


class Backend(Executor, Protocol):
    """A database connection the storage layer owns from open to close."""

    dialect: Dialect
    location: str
    """Where the data lives, for messages: a file path, or a URL without its password."""

    def transaction(self, lock_key: int | None = None) -> AbstractAsyncContextManager[Executor]:
        """Statements run inside commit together or not at all; ``lock_key`` also holds a
        lock no other process can take until the transaction ends (on SQLite every write
        transaction already holds the file's write lock)."""
        ...

    def snapshot(self) -> AbstractAsyncContextManager[Executor]:
        """Reads inside see one consistent state, while writers carry on (backups)."""
        ...

    async def close(self) -> None: ...
