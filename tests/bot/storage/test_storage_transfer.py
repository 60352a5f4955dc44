"""Copying a whole database to the other backend (or the same), proven by counts and checksums:
what `lyricbot migrate`, a PostgreSQL backup and a restore into PostgreSQL all rest on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import Database, StorageError
from bot.storage.transfer import COPIED_TABLES, checksums, copy_database


async def _fill(db: Database, make_generation, make_entry) -> int:
    generation_id = await db.record_generation(make_generation(latency_ms=412.125))
    await db.add_reaction_rating(generation_id, 1_300_000_000_000_000_003, 3)
    await db.add_reaction_rating(generation_id, 1_300_000_000_000_000_003, 5)
    await db.add_corpus_entry(make_entry())
    await db.record_audit(action="retrain", allowed=False, user_id=2**63 - 1)
    await db.pin_preset(1_100_000_000_000_000_001, "calm", by=7)
    return generation_id


async def test_a_copy_matches_table_by_table_and_numbering_resumes(
    db: Database, tmp_path: Path, make_generation, make_entry
) -> None:
    generation_id = await _fill(db, make_generation, make_entry)
    async with await Database.open(tmp_path / "copy.db") as copy:
        checks = await copy_database(db.backend, copy.backend, replace=False)
        assert [c.table for c in checks] == [t for t, _ in COPIED_TABLES]
        assert all(c.ok for c in checks), [c.line() for c in checks]
        assert {c.table: c.target_rows for c in checks}["rating_reactions"] == 2
        assert (await copy.get_generation(generation_id)).latency_ms == 412.125
        assert await copy.ratings_for(generation_id) == {1_300_000_000_000_000_003: 5}
        assert await copy.record_generation(make_generation()) == generation_id + 1
        with pytest.raises(StorageError, match="already holds"):
            await copy_database(db.backend, copy.backend, replace=False)


async def test_a_changed_value_shows_as_a_checksum_mismatch(
    db: Database, tmp_path: Path, make_generation, make_entry
) -> None:
    await _fill(db, make_generation, make_entry)
    async with await Database.open(tmp_path / "copy.db") as copy:
        await copy_database(db.backend, copy.backend, replace=False)
        await copy.backend.execute("UPDATE generations SET latency_ms = 412.0")
        before, after = await checksums(db.backend), await checksums(copy.backend)
        changed = [table for table in before if before[table] != after[table]]
        assert changed == ["generations"]
        assert before["generations"][0] == after["generations"][0]  # same count, other rows
