"""Schema creation, re-opening, upgrading an existing database, and refusing unknown ones."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

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
from bot.storage.connection import connect, split_statements
from bot.storage.migrations import migrate


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


async def test_fresh_database_has_tables_indexes_and_latest_version(
    db: Database, db_path: Path
) -> None:
    assert LATEST_VERSION == 7
    assert await db.schema_version() == LATEST_VERSION
    assert _names(db_path, "table") == {
        "pending_requests",
        "preset_state",
        "generations",
        "ratings",
        "rating_reactions",
        "schema_migrations",
        "corpus_entries",
        "training_runs",
        "audit_log",
    }
    assert {
        "generations_message_id",
        "generations_guild_created",
        "generations_model_version",
        "corpus_entries_status_id",
        "training_runs_started_at",
        "audit_log_at",
    } <= _names(db_path, "index")


async def test_lookups_use_indexes(db: Database, db_path: Path) -> None:
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


async def test_reopening_is_idempotent(db_path: Path, make_generation) -> None:
    async with await Database.open(db_path) as db:
        generation_id = await db.record_generation(make_generation())
    async with await Database.open(db_path) as db:
        assert await db.schema_version() == LATEST_VERSION
        assert await db.get_generation(generation_id) is not None
    recorded = _query(db_path, "SELECT version, name FROM schema_migrations ORDER BY version")
    assert recorded == [(m.version, m.name) for m in MIGRATIONS]


async def test_upgrade_from_first_migration_keeps_rows(db_path: Path) -> None:
    conn = await connect(db_path)
    try:
        assert await migrate(conn, MIGRATIONS[:1]) == 1
        # Rows written the way version-1 code wrote them.
        await conn.execute(
            "INSERT INTO generations (id, created_at, source, guild_id, seed, params_json,"
            " model_version, output, status) VALUES (7, '2024-01-02T03:04:05.000000+00:00',"
            " 'discord', 42, 'old seed', '{\"temperature\": 0.7}', 'lstm-v0', 'old song', 'ok')"
        )
        await conn.execute(
            "INSERT INTO ratings (generation_id, user_id, score, rated_at)"
            " VALUES (7, 99, 4, '2024-01-02T03:05:00.000000+00:00')"
        )
    finally:
        await conn.close()

    assert "corpus_entries" not in _names(db_path, "table")

    async with await Database.open(db_path) as db:
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
    assert {"corpus_entries", "training_runs", "audit_log"} <= _names(db_path, "table")
    recorded = _query(db_path, "SELECT version, name FROM schema_migrations ORDER BY version")
    assert recorded == [(m.version, m.name) for m in MIGRATIONS]


async def test_appended_migration_runs_on_existing_database(db_path: Path, make_generation) -> None:
    async with await Database.open(db_path) as db:
        generation_id = await db.record_generation(make_generation())
    extra = _extra_migration(
        "CREATE TABLE later_notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);\n"
        "INSERT INTO later_notes (text) VALUES ('a; b');\n"
        "CREATE INDEX later_notes_text ON later_notes (text);"
    )
    conn = await connect(db_path)
    try:
        assert await migrate(conn, (*MIGRATIONS, extra)) == extra.version
        rows = await conn.execute_fetchall("SELECT text FROM later_notes")
        assert [row[0] for row in rows] == ["a; b"]
        kept = await conn.execute_fetchall(
            "SELECT id FROM generations WHERE id = ?", (generation_id,)
        )
        assert len(list(kept)) == 1
    finally:
        await conn.close()


async def test_failed_migration_is_rolled_back_entirely(db_path: Path) -> None:
    bad = _extra_migration("CREATE TABLE half_done (id INTEGER); SELECT * FROM no_such_table;")
    conn = await connect(db_path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
            await migrate(conn, (*MIGRATIONS, bad))
    finally:
        await conn.close()
    assert "half_done" not in _names(db_path, "table")
    async with await Database.open(db_path) as db:
        assert await db.schema_version() == LATEST_VERSION


async def test_database_from_newer_code_is_refused(db_path: Path) -> None:
    conn = await connect(db_path)
    try:
        await migrate(conn, (*MIGRATIONS, _extra_migration("CREATE TABLE later (id INTEGER);")))
    finally:
        await conn.close()
    with pytest.raises(SchemaTooNewError, match=rf"version {LATEST_VERSION + 1} is newer"):
        await Database.open(db_path)


async def test_migration_history_from_another_branch_is_refused(db_path: Path) -> None:
    conn = await connect(db_path)
    try:
        renamed = (Migration(1, "something_else", MIGRATIONS[0].sql), *MIGRATIONS[1:])
        await migrate(conn, renamed)
    finally:
        await conn.close()
    with pytest.raises(StorageError, match="different branch"):
        await Database.open(db_path)


@pytest.mark.parametrize("versions", [(), (2,), (1, 3), (2, 1)])
async def test_migration_numbers_must_run_one_two_three(db_path: Path, versions) -> None:
    listed = [Migration(v, f"m{v}", "SELECT 1;") for v in versions]
    conn = await connect(db_path)
    try:
        with pytest.raises(ValueError, match="numbered"):
            await migrate(conn, listed)
    finally:
        await conn.close()


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
    db: Database, db_path: Path, make_generation
) -> None:
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


async def test_closed_database_says_so(db_path: Path) -> None:
    db = await Database.open(db_path)
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
