"""The models the bot can serve: one folder per version under the models directory, and a
pointer file naming the one being served.

A new version is trained in `.staging/` and renamed into place only when complete, so a crash
or restart mid-training never leaves a half-written model among the servable ones. The first
model (`starter`, trained when there is nothing to serve) trains there too, in a folder of its
own that survives restarts, so a bot that keeps being restarted still gets it finished.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from bot.services.errors import UnknownModel
from lyriccore.checkpoint import BEST, LAST, resolve_checkpoint
from lyriccore.staging import STAGING, staging_for

SERVING_FILE = "serving.json"
LOGS = ".logs"
FIRST_MODEL = "starter"


class ModelRegistry:
    def __init__(self, root: Path) -> None:
        self.root = root

    def names(self) -> list[str]:
        """Folders holding a usable checkpoint, sorted by name (never by glob order)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir()
            and not p.name.startswith(".")
            and ((p / BEST).is_file() or (p / LAST).is_file())
        )

    def has(self, name: str) -> bool:
        return name in self.names()

    def identity(self, name: str) -> tuple[int, int, int]:
        """For a name `has` lists: changes whenever the checkpoint served under it is replaced
        (inode, size and modification time), so a loaded copy can tell that it is stale."""
        stat = resolve_checkpoint(self.root / name).stat()
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    def path(self, name: str) -> Path:
        """Only names the registry lists resolve, so a user cannot point outside it."""
        if name not in self.names():
            raise UnknownModel(f"There is no model called {name[:40]!r}.")
        return self.root / name

    def serving(self) -> str | None:
        """The version chosen by the last promotion or rollback, if it still exists."""
        try:
            name = json.loads((self.root / SERVING_FILE).read_text())["version"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return name if isinstance(name, str) and self.has(name) else None

    def set_serving(self, name: str) -> None:
        self.path(name)
        tmp = self.root / f".{SERVING_FILE}.tmp"
        record = {"version": name, "since": datetime.now(UTC).isoformat()}
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self.root / SERVING_FILE)

    def staging(self, run_id: int) -> Path:
        folder = self.root / STAGING / f"run-{run_id}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def log_path(self, run_id: int) -> Path:
        """Each run's own log, kept whatever the outcome, for the operator."""
        folder = self.root / LOGS
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"run-{run_id}.log"

    def first_model_staging(self) -> Path:
        """Kept across restarts (unlike a retrain's), so the first model's training resumes."""
        return staging_for(self.root / FIRST_MODEL)

    def clear_staging(self) -> None:
        """Leftovers of retrains a crash or restart interrupted are never served: remove
        them. The first model's unfinished run stays, to be resumed."""
        folder = self.root / STAGING
        if not folder.is_dir():
            return
        for leftover in folder.iterdir():
            if leftover != self.first_model_staging():
                shutil.rmtree(leftover, ignore_errors=True)

    def next_version(self) -> str:
        numbers = [int(n[1:5]) for n in self.names() if n[:1] == "v" and n[1:5].isdigit()]
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return f"v{max(numbers, default=0) + 1:04d}-{stamp}"

    def adopt(self, staged: Path, name: str) -> Path:
        """Move a finished run into the registry in one rename."""
        target = self.root / name
        os.replace(staged, target)
        return target
