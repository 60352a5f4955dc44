"""Copying every row from one database into another, and proving nothing was lost.

One copier serves three commands: ``lyricbot migrate`` (SQLite to PostgreSQL or back, into
an empty database), ``lyricbot backup`` of a PostgreSQL database (into a SQLite file, the
same self-contained backup format as for SQLite), and ``lyricbot restore`` into PostgreSQL.
The copy is checked by the row count and a checksum per table, each computed by reading the
rows back through their own backend, so a value changed in transit (a 64-bit id cut to 32,
a float rounded) shows as a mismatch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from bot.storage.backend import Backend, Executor, Row
from bot.storage.dialect import Dialect
from bot.storage.errors import StorageError

COPIED_TABLES: tuple[tuple[str, str], ...] = (
    ("generations", "id"),
    ("ratings", "generation_id, user_id"),
    ("rating_reactions", "id"),
    ("corpus_entries", "id"),
    ("training_runs", "id"),
    ("audit_log", "id"),
    ("preset_state", "scope"),
    ("pending_requests", "interaction_id"),
)
"""Every table holding the installation's data, each with its key, parents before children.
``schema_migrations`` is not copied: each side records its own migrations. Tables of
coordination (locks, cooldowns) hold nothing worth keeping and are not copied either."""

IDENTITY_TABLES = ("generations", "rating_reactions", "corpus_entries", "training_runs",
                   "audit_log")  # fmt: skip
"""Tables whose ``id`` PostgreSQL numbers: after ids are copied in, numbering resumes above."""

PAGE_SIZE = 2_000


@dataclass(frozen=True)
class TableCheck:
    """One table's row count and checksum on both sides of a copy."""

    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_checksum) == (self.target_rows, self.target_checksum)

    def line(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        return (
            f"{self.table}: {self.source_rows} -> {self.target_rows} rows, "
            f"sha256 {self.source_checksum[:12]} / {self.target_checksum[:12]} {verdict}"
        )


async def _pages(db: Executor, table: str, key: str) -> AsyncIterator[list[Row]]:
    """The table's rows in key order, a page at a time: memory stays bounded however big."""
    offset = 0
    while rows := await db.fetchall(
        f"SELECT * FROM {table} ORDER BY {key} LIMIT ? OFFSET ?", (PAGE_SIZE, offset)
    ):
        yield rows
        offset += len(rows)


async def row_counts(db: Executor, tables: Sequence[tuple[str, str]] = COPIED_TABLES) -> int:
    """How many rows the tables hold together."""
    total = 0
    for table, _ in tables:
        total += int((await db.fetchall(f"SELECT COUNT(*) FROM {table}"))[0][0])
    return total


async def copy_tables(
    source: Executor,
    target: Executor,
    target_dialect: Dialect,
    tables: Sequence[tuple[str, str]] = COPIED_TABLES,
) -> None:
    """Insert every row of ``tables`` from ``source`` into ``target``, ids and all; run it
    inside a target transaction so a failure leaves the target as it was."""
    for table, key in tables:
        async for rows in _pages(source, table, key):
            columns = list(rows[0].keys())
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            await target.executemany(sql, [tuple(row) for row in rows])
    if target_dialect == "postgres":
        for table in (t for t, _ in tables if t in IDENTITY_TABLES):
            await target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )


async def clear_tables(db: Executor, tables: Sequence[tuple[str, str]] = COPIED_TABLES) -> None:
    """Delete every row of ``tables``, children first (restore replaces what is there)."""
    for table, _ in reversed(tables):
        await db.execute(f"DELETE FROM {table}")


async def checksums(
    db: Executor, tables: Sequence[tuple[str, str]] = COPIED_TABLES
) -> dict[str, tuple[int, str]]:
    """Each table's row count and the sha256 of its rows in key order, values typed."""
    sums: dict[str, tuple[int, str]] = {}
    for table, key in tables:
        digest, count = hashlib.sha256(), 0
        async for rows in _pages(db, table, key):
            for row in rows:
                digest.update(_canonical(row).encode("utf-8"))
                count += 1
        sums[table] = (count, digest.hexdigest())
    return sums


def compare(
    source: dict[str, tuple[int, str]], target: dict[str, tuple[int, str]]
) -> list[TableCheck]:
    return [
        TableCheck(table, rows, target[table][0], checksum, target[table][1])
        for table, (rows, checksum) in source.items()
    ]


def _canonical(row: Row) -> str:
    """A row as text both backends produce alike: columns by name, each value with its type
    (1 and 1.0 and "1" differ), floats by ``repr`` (exact)."""
    values = {key: _typed(row[key]) for key in sorted(row.keys())}
    return json.dumps(values, separators=(",", ":")) + "\n"


def _typed(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool | int):
        return f"int:{int(value)}"
    if isinstance(value, float):
        return f"float:{value!r}"
    if isinstance(value, str):
        return f"text:{value}"
    raise StorageError(f"a value of type {type(value).__name__} cannot be compared across backends")


async def copy_database(source: Backend, target: Backend, *, replace: bool) -> list[TableCheck]:
    """Copy every table from ``source`` into ``target`` in one target transaction, and
    return each table's counts and checksums on both sides (read back, not assumed).

    Without ``replace`` the target must hold no rows (``migrate`` never merges two
    installations); with it, the target's rows are deleted first (``restore``). Run it with
    the bot stopped: the source is read from one snapshot, so rows written meanwhile would
    be left behind.
    """
    if not replace and (held := await row_counts(target)):
        raise StorageError(
            f"{target.location} already holds {held} rows; migrate copies into an empty "
            "database only (a new one, or drop its tables first)"
        )
    async with source.snapshot() as snap:
        before = await checksums(snap)
        async with target.transaction() as tx:
            if replace:
                await clear_tables(tx)
            await copy_tables(snap, tx, target.dialect)
    return compare(before, await checksums(target))
