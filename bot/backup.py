"""`lyricbot backup DIR` and `lyricbot restore DIR`: the database (an online snapshot, safe
while the bot runs: SQLite's backup API, or PostgreSQL's tables copied out of one snapshot
into a SQLite file) plus the serving model. Any backup restores into either backend."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bot.services.errors import UserFacingError
from bot.services.registry import SERVING_FILE, ModelRegistry
from bot.settings import Settings
from bot.storage import Database
from bot.storage.transfer import copy_database
from bot.storage.urls import PostgresTarget, SqliteTarget

DB_NAME = "lyricbot.db"
MANIFEST = "backup.json"


async def backup(settings: Settings, target: Path) -> Path:
    """Write a backup into a new folder under `target`; returns it."""
    folder = target / datetime.now(UTC).strftime("lyricbot-%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=False)
    async with await Database.open(settings.database) as db:
        await db.backup_to(folder / DB_NAME)
    registry = ModelRegistry(settings.models_dir)
    serving = registry.serving() or settings.default_model
    if registry.has(serving):
        shutil.copytree(registry.path(serving), folder / "models" / serving)
        (folder / "models" / SERVING_FILE).write_text(json.dumps({"version": serving}))
    manifest = {"created_at": datetime.now(UTC).isoformat(), "serving_model": serving}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return folder


async def restore(settings: Settings, source: Path) -> str:
    """Put a backup back. Run it with the bot stopped: it replaces the database's contents."""
    if not (source / MANIFEST).is_file() or not (source / DB_NAME).is_file():
        raise UserFacingError(f"{source} is not a lyricbot backup (no {MANIFEST})")
    target = settings.database
    if isinstance(target, SqliteTarget):
        await asyncio.to_thread(_replace_file, source / DB_NAME, target.path)
    else:
        await _restore_into(source / DB_NAME, target)
    return await asyncio.to_thread(_restore_model, settings, source)


def _replace_file(backup_file: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy2(backup_file, path)


async def _restore_into(backup_file: Path, target: PostgresTarget) -> None:
    """Copy the backup's rows over the database's (a copy of the file is opened, so an older
    backup is upgraded without touching the backup itself); checked like ``migrate``."""
    with tempfile.TemporaryDirectory(prefix="lyricbot-restore-") as scratch:
        copy = Path(scratch) / DB_NAME
        await asyncio.to_thread(shutil.copy2, backup_file, copy)
        async with await Database.open(copy) as src, await Database.open(target) as dst:
            checks = await copy_database(src.backend, dst.backend, replace=True)
    bad = [check.table for check in checks if not check.ok]
    if bad:
        raise UserFacingError(f"restore did not match the backup in {', '.join(bad)}")


def _restore_model(settings: Settings, source: Path) -> str:
    serving = json.loads((source / MANIFEST).read_text()).get("serving_model", "")
    models = source / "models"
    if serving and (models / serving).is_dir():
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        if not (settings.models_dir / serving).exists():
            shutil.copytree(models / serving, settings.models_dir / serving)
        ModelRegistry(settings.models_dir).set_serving(serving)
    return serving
