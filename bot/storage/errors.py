"""Errors raised by the storage layer.

Callers catch ``StorageError`` for anything this package recognises and can describe in one
line; the subclasses exist so a handler can answer a user differently where that helps::

    StorageError
    ├── NotADatabaseError        the file is not a SQLite database (wrong path, corrupt header)
    ├── ForeignDatabaseError     a database that lyricbot did not create
    ├── SchemaTooNewError        written by a newer lyricbot; refusing to guess at its schema
    ├── UnknownGenerationError   a generation id that is not in the log
    ├── InvalidRatingError       a score outside 1..5 (also a ``ValueError``)
    ├── DuplicateEntryError      a corpus text already submitted (carries its id and status)
    ├── UnknownEntryError        a corpus entry id that does not exist
    ├── UnknownRunError          a training run id that does not exist
    └── ConstraintError          (backend.py) a write the schema refused, with its kind

Any other ``sqlite3.Error`` or ``asyncpg.PostgresError`` (disk full, I/O error, lock held
past the busy timeout) is unexpected and propagates unchanged, so it is logged with its
traceback rather than disguised.
"""

from __future__ import annotations

from pathlib import Path


class StorageError(Exception):
    """A storage failure that this package understands and can explain in one line."""


class NotADatabaseError(StorageError):
    """The path exists but SQLite cannot read it as a database."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} is not a SQLite database (wrong path, or the file is corrupt)")
        self.path = path


class ForeignDatabaseError(StorageError):
    """A database with tables but no migration record: adding ours would mix two apps."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(
            f"{path} is a database that lyricbot did not create "
            "(it has tables but no schema_migrations table); refusing to modify it"
        )
        self.path = path


class SchemaTooNewError(StorageError):
    """The database records migrations this code does not know, so its schema is unknown."""

    def __init__(self, db_version: int, code_version: int) -> None:
        super().__init__(
            f"database schema version {db_version} is newer than this code supports "
            f"({code_version}); upgrade lyricbot or restore a matching backup"
        )
        self.db_version = db_version
        self.code_version = code_version


class UnknownGenerationError(StorageError):
    """An operation named a generation id that does not exist."""

    def __init__(self, generation_id: int) -> None:
        super().__init__(f"no generation with id {generation_id}")
        self.generation_id = generation_id


class InvalidRatingError(StorageError, ValueError):
    """A rating score outside 1..5; a ValueError too, since it is bad input, not bad storage."""

    def __init__(self, score: object) -> None:
        super().__init__(f"rating score must be an integer from 1 to 5, got {score!r}")
        self.score = score


class DuplicateEntryError(StorageError):
    """The same (normalised) text is already in the corpus, under ``existing_id``."""

    def __init__(self, existing_id: int, status: str) -> None:
        super().__init__(f"this text was already submitted as entry #{existing_id} ({status})")
        self.existing_id = existing_id
        self.status = status


class UnknownEntryError(StorageError):
    """An operation named a corpus entry id that does not exist."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"no corpus entry with id {entry_id}")
        self.entry_id = entry_id


class UnknownRunError(StorageError):
    """An operation named a training run id that does not exist."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"no training run with id {run_id}")
        self.run_id = run_id
