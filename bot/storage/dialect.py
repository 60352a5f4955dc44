"""SQL text for the two backends: most statements are written once for both, a few differ.

SQLite and PostgreSQL share the SQL the storage layer needs (``ON CONFLICT``, ``LIMIT``,
``COALESCE``, partial indexes) except for JSON and for statements about the database itself.
A statement that differs is a ``Sql`` holding both texts; everything else stays a plain
string. Named parameters (``:name``) and ``?`` are written SQLite's way; the PostgreSQL
backend renumbers them (``$1``), so no statement is written twice only for its placeholders.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

Dialect = Literal["sqlite", "postgres"]
_KEY = re.compile(r"[a-z_][a-z0-9_]*")


class Sql(NamedTuple):
    """One statement in each backend's dialect."""

    sqlite: str
    postgres: str


Query = str | Sql


def text_for(query: Query, dialect: Dialect) -> str:
    """The text of ``query`` that ``dialect`` runs."""
    if isinstance(query, str):
        return query
    return query.sqlite if dialect == "sqlite" else query.postgres


def json_field(column: str, key: str, dialect: Dialect) -> str:
    """The value at ``key`` of a JSON-object text column, as a plain value (number, text).

    Columns stay ``TEXT`` on both backends (so a row reads back byte for byte the same, and a
    copy between them has one checksum); PostgreSQL parses it per query as ``jsonb``, whose
    values the backend decodes to Python numbers and strings as SQLite's ``json_extract``
    returns them. ``key`` is a constant of this package, never user input.
    """
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a JSON key this package uses: {key!r}")
    if dialect == "sqlite":
        return f"json_extract({column}, '$.{key}')"
    return f"({column}::jsonb -> '{key}')"


def with_json_fields(template: str, **fields: tuple[str, str]) -> Sql:
    """Render ``template``'s ``{name}`` placeholders as ``json_field(*fields[name])`` for each
    dialect: one query text for both, differing only where it reads JSON."""
    rendered = {
        dialect: template.format(
            **{name: json_field(column, key, dialect) for name, (column, key) in fields.items()}
        )
        for dialect in ("sqlite", "postgres")
    }
    return Sql(sqlite=rendered["sqlite"], postgres=rendered["postgres"])
