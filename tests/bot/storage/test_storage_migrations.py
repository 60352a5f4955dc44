"""Schema creation, re-opening, upgrading an existing database, and refusing unknown ones:
on both backends, except where a test is about the SQLite file itself."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.storage import (
    LATEST_VERSION,
    MIGRATIONS,
    Database,
    ForeignDatabaseError,
    Migration,
    NotADatabaseError,
    SchemaTooNewError,
    StorageError,
    UnknownGenerationError,
)
from bot.storage.backend import Backend
from bot.storage.connection import split_statements
from bot.storage.migrations import migrate, table_names
from bot.storage.postgres_backend import PostgresBackend
from bot.storage.sqlite_backend import SqliteBackend

TABLES = {
    "pending_requests",
    "preset_state",
    "request_times",
    "generations",
    "ratings",
    "rating_reactions",
    "schema_migrations",
    "corpus_entries",
    "training_runs",
    "audit_log",
}


def _query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file with a plain sqlite3 connection, as an operator's tool would."""
    with closing(sqlite3.connect(path)) as conn, conn:
        return conn.execute(sql, params).fetchall()


def _names(path: Path, kind: str) -> set[str]:
    return {
        name for (name,) in _query(path, "SELECT name FROM sqlite_master WHERE type = ?", (kind,))
    }


def _extra_migration(sql: str) -> Migration:
    return Migration(LATEST_VERSION + 1, "test_extra", sql)


@pytest.fixture
async def bare(db_location: Path | str) -> AsyncIterator[Backend]:
    """A connection to the test's database with no migrations applied by opening it."""
    backend: Backend
    if isinstance(db_location, Path):
        backend = await SqliteBackend.open(db_location)
    else:
        backend = await PostgresBackend.open(db_location, db_location)
    try:
        yield backend
    finally:
        await backend.close()


async def _recorded(db: Database) -> list[tuple[int, str]]:
    rows = await db.backend.fetchall("SELECT version, name FROM schema_migrations ORDER BY 1")
    return [(int(row[0]), str(row[1])) for row in rows]


async def test_fresh_database_has_tables_and_latest_version(db: Database) -> None:
    assert LATEST_VERSION == 8
    assert await db.schema_version() == LATEST_VERSION
    assert await table_names(db.backend) == TABLES
    assert await _recorded(db) == [(m.version, m.name) for m in MIGRATIONS]


async def test_fresh_sqlite_file_has_its_indexes(sqlite_db: Database, db_path: Path) -> None:
    assert _names(db_path, "table") == TABLES
    assert {
        "generations_message_id",
        "generations_guild_created",
        "generations_model_version",
        "corpus_entries_status_id",
        "training_runs_started_at",
        "audit_log_at",
    } <= _names(db_path, "index")


async def test_lookups_use_indexes(sqlite_db: Database, db_path: Path) -> None:
    queries = {
        "SELECT id FROM generations WHERE message_id = 5": "generations_message_id",
        "SELECT id FROM generations WHERE guild_id = 1 AND created_at > ''": (
            "generations_guild_created"
        ),
        "SELECT id FROM generations WHERE model_version = 'x'": "generations_model_version",
        "SELECT score FROM ratings WHERE generation_id = 1": "sqlite_autoindex_ratings_1",
        "SELECT id FROM corpus_entries WHERE sha256 = 'x'": "sqlite_autoindex_corpus_entries_1",
        "SELECT id FROM corpus_entries WHERE status = 'pending' ORDER BY id DESC": (
            "corpus_entries_status_id"
        ),
        "SELECT id FROM training_runs ORDER BY started_at DESC, id DESC": (
            "training_runs_started_at"
        ),
        "SELECT id FROM audit_log ORDER BY at DESC, id DESC": "audit_log_at",
    }
    for query, index in queries.items():
        plan = " ".join(row[-1] for row in _query(db_path, f"EXPLAIN QUERY PLAN {query}"))
        assert index in plan, (query, plan)


async def test_reopening_is_idempotent(db_location: Path | str, make_generation) -> None:
    async with await Database.open(db_location) as db:
        generation_id = await db.record_generation(make_generation())
    async with await Database.open(db_location) as db:
        assert await db.schema_version() == LATEST_VERSION
        assert await db.get_generation(generation_id) is not None
        assert await _recorded(db) == [(m.version, m.name) for m in MIGRATIONS]


async def test_upgrade_from_first_migration_keeps_rows(
    bare: Backend, db_location: Path | str
) -> None:
    assert await migrate(bare, MIGRATIONS[:1]) == 1
    # Rows written the way version-1 code wrote them.
    await bare.execute(
        "INSERT INTO generations (id, created_at, source, guild_id, seed, params_json,"
        " model_version, output, status) VALUES (7, '2024-01-02T03:04:05.000000+00:00',"
        " 'discord', 42, 'old seed', '{\"temperature\": 0.7}', 'lstm-v0', 'old song', 'ok')"
    )
    await bare.execute(
        "INSERT INTO ratings (generation_id, user_id, score, rated_at)"
        " VALUES (7, 99, 4, '2024-01-02T03:05:00.000000+00:00')"
    )
    assert "corpus_entries" not in await table_names(bare)

    async with await Database.open(db_location) as db:
        assert await db.schema_version() == LATEST_VERSION
        row = await db.get_generation(7)
        assert row is not None
        assert (row.seed, row.output, row.params["temperature"]) == ("old seed", "old song", 0.7)
        assert await db.ratings_for(7) == {99: 4}
        # The old rating became the reaction behind it: a newer reaction taken off falls
        # back to it, and taking it off too withdraws the rating.
        await db.add_reaction_rating(7, 99, 5)
        assert await db.remove_reaction_rating(7, 99, 5) == 4
        assert await db.remove_reaction_rating(7, 99, 4) is None
        # The new tables are there, empty, and usable straight after the upgrade.
        assert await db.corpus_counts() == {"pending": 0, "approved": 0, "rejected": 0}
        assert await db.last_training_run() is None
        assert await db.audit_entries() == []
        assert await db.record_audit(action="retrain", allowed=True, user_id=99) == 1
        assert await table_names(db.backend) == TABLES
        assert await _recorded(db) == [(m.version, m.name) for m in MIGRATIONS]


async def test_appended_migration_runs_on_existing_database(
    db_location: Path | str, make_generation
) -> None:
    async with await Database.open(db_location) as db:
        generation_id = await db.record_generation(make_generation())
    # The shape of the next real migration: a plain column and an index, one text for both.
    extra = _extra_migration(
        "ALTER TABLE generations ADD COLUMN style TEXT;\n"
        "UPDATE generations SET style = 'a; b';\n"
        "CREATE INDEX generations_style ON generations (style);"
    )
    async with await Database.open(db_location) as db:
        assert await migrate(db.backend, (*MIGRATIONS, extra)) == extra.version
        rows = await db.backend.fetchall("SELECT id, style FROM generations")
        assert [(row[0], row[1]) for row in rows] == [(generation_id, "a; b")]
        assert (await db.get_generation(generation_id)) is not None


async def test_failed_migration_is_rolled_back_entirely(
    bare: Backend, db_location: Path | str
) -> None:
    bad = _extra_migration("CREATE TABLE half_done (id INTEGER); SELECT * FROM no_such_table;")
    with pytest.raises((sqlite3.OperationalError, asyncpg.UndefinedTableError), match="no_such"):
        await migrate(bare, (*MIGRATIONS, bad))
    assert "half_done" not in await table_names(bare)
    async with await Database.open(db_location) as db:
        assert await db.schema_version() == LATEST_VERSION


async def test_database_from_newer_code_is_refused(bare: Backend, db_location: Path | str) -> None:
    await migrate(bare, (*MIGRATIONS, _extra_migration("CREATE TABLE later (id INTEGER);")))
    with pytest.raises(SchemaTooNewError, match=rf"version {LATEST_VERSION + 1} is newer"):
        await Database.open(db_location)


async def test_migration_history_from_another_branch_is_refused(
    bare: Backend, db_location: Path | str
) -> None:
    first = MIGRATIONS[0]
    renamed = Migration(1, "something_else", first.sql, first.postgres)
    await migrate(bare, (renamed, *MIGRATIONS[1:]))
    with pytest.raises(StorageError, match="different branch"):
        await Database.open(db_location)


@pytest.mark.parametrize("versions", [(), (2,), (1, 3), (2, 1)])
async def test_migration_numbers_must_run_one_two_three(bare: Backend, versions) -> None:
    listed = [Migration(v, f"m{v}", "SELECT 1;") for v in versions]
    with pytest.raises(ValueError, match="numbered"):
        await migrate(bare, listed)


async def test_another_apps_postgres_database_is_not_modified(postgres_url: str) -> None:
    other = await asyncpg.connect(postgres_url)
    try:
        await other.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        with pytest.raises(ForeignDatabaseError, match="did not create"):
            await Database.open(postgres_url)
        tables = await other.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert [row[0] for row in tables] == ["invoices"]
    finally:
        await other.close()


async def test_postgres_url_password_never_shows(postgres_server) -> None:
    url = f"postgresql://lyricbot:hunter2@127.0.0.1:{postgres_server.port}/nowhere"
    with pytest.raises(StorageError) as raised:
        await Database.open(url)
    assert "hunter2" not in str(raised.value) and "***" in str(raised.value)


async def test_non_sqlite_file_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "lyrics.txt"
    path.write_text("midnight train, carry me home\n" * 200)
    with pytest.raises(NotADatabaseError, match="is not a SQLite database") as raised:
        await Database.open(path)
    assert str(path) in str(raised.value)
    assert path.read_text().startswith("midnight train")  # left untouched


async def test_another_apps_database_is_not_modified(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    _query(path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(ForeignDatabaseError, match="did not create"):
        await Database.open(path)
    assert _names(path, "table") == {"invoices"}


async def test_open_creates_missing_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "bot.sqlite3"
    async with await Database.open(path) as db:
        assert db.path == path
    assert path.is_file()


async def test_wal_mode_and_foreign_keys_are_on(
    sqlite_db: Database, db_path: Path, make_generation
) -> None:
    db = sqlite_db
    assert _query(db_path, "PRAGMA journal_mode") == [("wal",)]
    # Foreign keys are a per-connection setting: the Database's own connection must refuse a
    # rating for a generation that does not exist (it would be accepted with them off).
    with pytest.raises(UnknownGenerationError):
        await db.set_rating(123_456, 5, 4)
    # And the schema cascades: deleting a generation takes its ratings with it.
    generation_id = await db.record_generation(make_generation())
    await db.set_rating(generation_id, 5, 4)
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM generations WHERE id = ?", (generation_id,))
    assert await db.ratings_for(generation_id) == {}
    assert _query(db_path, "SELECT COUNT(*) FROM ratings") == [(0,)]


async def test_closed_database_says_so(db_location: Path | str) -> None:
    db = await Database.open(db_location)
    await db.close()
    await db.close()  # a second close is harmless
    with pytest.raises(StorageError, match="is closed"):
        await db.schema_version()


def test_split_statements_respects_literals_and_triggers() -> None:
    script = """
    CREATE TABLE t (x TEXT);
    INSERT INTO t VALUES ('semi; colon');
    CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN
        INSERT INTO t VALUES ('again;');
    END;
    """
    statements = split_statements(script)
    assert len(statements) == 3
    assert statements[2].startswith("CREATE TRIGGER") and statements[2].endswith("END;")
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1;")
