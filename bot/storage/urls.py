"""Where the database is: a SQLite file path, or a ``sqlite:///`` / ``postgresql://`` URL.

``LYRICBOT_DATABASE_URL`` and ``lyricbot migrate --from/--to`` take either; a plain path is a
SQLite file, as ``LYRICBOT_DB`` always was. The password of a PostgreSQL URL is never shown:
``masked`` is what messages and logs carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class SqliteTarget:
    path: Path

    @property
    def masked(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class PostgresTarget:
    dsn: str = field(repr=False)

    @property
    def masked(self) -> str:
        parts = urlsplit(self.dsn)
        if parts.password is None:
            return self.dsn
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))


Target = SqliteTarget | PostgresTarget


def parse_target(location: str | Path) -> Target:
    """A path or URL as a target; ``ValueError`` for a scheme lyricbot cannot use."""
    if isinstance(location, Path):
        return SqliteTarget(location)
    scheme, sep, rest = location.partition("://")
    if not sep:
        return SqliteTarget(Path(location))
    if scheme in _POSTGRES_SCHEMES:
        return PostgresTarget(location)
    if scheme == "sqlite" and rest.startswith("/"):
        return SqliteTarget(Path(rest[1:] or "."))
    raise ValueError(
        f"{scheme}:// is not a database lyricbot can use: give sqlite:///PATH or postgresql://…"
    )
