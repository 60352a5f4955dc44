"""`lyricbot backup DIR` and `lyricbot restore DIR`: the database (an online snapshot through
SQLite's backup API, safe while the bot runs) plus the serving model."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from bot.services.errors import UserFacingError
from bot.services.registry import SERVING_FILE, ModelRegistry
from bot.settings import Settings
from bot.storage import Database

DB_NAME = "lyricbot.db"
MANIFEST = "backup.json"


async def backup(settings: Settings, target: Path) -> Path:
    """Write a backup into a new folder under `target`; returns it."""
    folder = target / datetime.now(UTC).strftime("lyricbot-%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=False)
    async with await Database.open(settings.db_path) as db:
        await db.backup_to(folder / DB_NAME)
    registry = ModelRegistry(settings.models_dir)
    serving = registry.serving() or settings.default_model
    if registry.has(serving):
        shutil.copytree(registry.path(serving), folder / "models" / serving)
        (folder / "models" / SERVING_FILE).write_text(json.dumps({"version": serving}))
    manifest = {"created_at": datetime.now(UTC).isoformat(), "serving_model": serving}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return folder


def restore(settings: Settings, source: Path) -> str:
    """Put a backup back. Run it with the bot stopped: it replaces the database file."""
    if not (source / MANIFEST).is_file() or not (source / DB_NAME).is_file():
        raise UserFacingError(f"{source} is not a lyricbot backup (no {MANIFEST})")
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{settings.db_path}{suffix}").unlink(missing_ok=True)
    shutil.copy2(source / DB_NAME, settings.db_path)
    serving = json.loads((source / MANIFEST).read_text()).get("serving_model", "")
    models = source / "models"
    if serving and (models / serving).is_dir():
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        if not (settings.models_dir / serving).exists():
            shutil.copytree(models / serving, settings.models_dir / serving)
        ModelRegistry(settings.models_dir).set_serving(serving)
    return serving
