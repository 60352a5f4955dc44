"""Online backups and integrity checks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.storage import Database, StorageError


async def test_fresh_database_passes_integrity_check(db: Database) -> None:
    assert await db.integrity_check() == "ok"


async def test_backup_opens_and_holds_the_rows(
    db: Database, make_generation, tmp_path: Path
) -> None:
    generation_id = await db.record_generation(make_generation(seed="keep me"))
    await db.set_rating(generation_id, 7, 5)
    target = tmp_path / "backups" / "lyricbot-2024-05-01.sqlite3"

    # Writes keep arriving while the backup runs: it is an online copy.
    await asyncio.gather(
        db.backup_to(target), *(db.record_generation(make_generation()) for _ in range(20))
    )
    await db.record_generation(make_generation(seed="after the backup"))

    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # one file
    async with await Database.open(target) as copy:
        assert await copy.integrity_check() == "ok"
        row = await copy.get_generation(generation_id)
        assert row is not None and row.seed == "keep me"
        assert await copy.ratings_for(generation_id) == {7: 5}
        total = (await copy.stats()).total_generations
        assert 1 <= total <= 21  # a consistent snapshot, never the later write
    assert (await db.stats()).total_generations == 22


async def test_backup_replaces_an_older_backup(
    db: Database, make_generation, tmp_path: Path
) -> None:
    target = tmp_path / "latest.sqlite3"
    await db.backup_to(target)
    await db.record_generation(make_generation())
    await db.backup_to(target)
    async with await Database.open(target) as copy:
        assert (await copy.stats()).total_generations == 1


async def test_backup_onto_the_live_file_is_refused(sqlite_db: Database, db_path: Path) -> None:
    with pytest.raises(StorageError, match="onto itself"):
        await sqlite_db.backup_to(db_path)
    assert await sqlite_db.integrity_check() == "ok"
