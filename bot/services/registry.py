"""The models the bot can serve: one folder each under the models directory."""

from __future__ import annotations

from pathlib import Path

from bot.services.errors import UnknownModel
from lyriccore.checkpoint import BEST, LAST


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
            if p.is_dir() and ((p / BEST).is_file() or (p / LAST).is_file())
        )

    def has(self, name: str) -> bool:
        return name in self.names()

    def path(self, name: str) -> Path:
        """Only names the registry lists resolve, so a user cannot point outside it."""
        if name not in self.names():
            raise UnknownModel(f"There is no model called {name[:40]!r}.")
        return self.root / name
