"""`lyricbot doctor`: look over an installation and say in plain words what is wrong."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.services.registry import ModelRegistry
from bot.settings import Settings
from bot.storage import LATEST_VERSION, Database, StorageError
from bot.storage.urls import SqliteTarget, Target
from lyriccore.checkpoint import LAST, load_model
from lyriccore.errors import CheckpointError

MIN_FREE_BYTES = 500_000_000


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.what}"


async def check_database(target: Target) -> list[Finding]:
    """A SQLite file that is not there yet is fine (created at start); a PostgreSQL server
    that cannot be reached is not."""
    path = target.path if isinstance(target, SqliteTarget) else None
    if path is not None and not await asyncio.to_thread(path.exists):
        return [Finding(True, f"database {path} does not exist yet; it is created at start")]
    try:
        async with await Database.open(target) as db:
            integrity = await db.integrity_check()
            version = await db.schema_version()
    except StorageError as exc:
        return [Finding(False, f"database {target.masked}: {exc}")]
    return [
        Finding(integrity == "ok", f"database integrity: {integrity}"),
        Finding(
            version == LATEST_VERSION, f"database schema version {version} of {LATEST_VERSION}"
        ),
    ]


def check_models(root: Path, default: str) -> list[Finding]:
    registry = ModelRegistry(root)
    names = registry.names()
    if not names:
        unfinished = (registry.first_model_staging() / "model" / LAST).is_file()
        when = "resumes its unfinished run" if unfinished else "trains"
        return [Finding(True, f"no models in {root} yet: the starter model {when} at first start")]
    findings = [Finding(True, f"{len(names)} model(s) in {root}: {', '.join(names[-5:])}")]
    serving = registry.serving() or default
    if serving not in names:
        return [*findings, Finding(False, f"the serving model {serving!r} is missing")]
    try:
        loaded = load_model(registry.path(serving))
    except CheckpointError as exc:
        return [*findings, Finding(False, f"the serving model {serving!r} cannot load: {exc}")]
    return [*findings, Finding(True, f"serving {serving} ({loaded.version}) loads")]


def check_disk(paths: list[Path]) -> list[Finding]:
    findings = []
    for path in paths:
        existing = next((p for p in [path, *path.parents] if p.exists()), Path("."))
        free = shutil.disk_usage(existing).free
        ok = free >= MIN_FREE_BYTES
        findings.append(Finding(ok, f"{free / 1e9:.1f} GB free for {path}"))
    return findings


async def diagnose(settings: Settings) -> list[Finding]:
    token = "set" if settings.token else "missing (needed for `lyricbot run`)"
    findings = [Finding(bool(settings.token), f"settings read; DISCORD_TOKEN {token}")]
    findings += await check_database(settings.database)
    findings += check_models(settings.models_dir, settings.default_model)
    findings += check_disk([settings.db_path.parent, settings.models_dir])
    return findings
