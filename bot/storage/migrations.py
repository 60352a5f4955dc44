"""Numbered schema migrations, applied in order at open and recorded in ``schema_migrations``.

To change the schema, append ``Migration(N + 1, "what_it_does", "...SQL...")`` to
``MIGRATIONS``. Never edit or renumber a migration that has shipped: databases in the wild
have recorded it as applied and will not run it again. Each migration runs in its own
transaction together with the row that records it, so a failure leaves the database at the
previous version rather than half-migrated.

One list serves both backends. A migration whose SQL both SQLite and PostgreSQL accept (an
``ALTER TABLE … ADD COLUMN name TEXT``, a ``CREATE INDEX``) is written once; one that needs
PostgreSQL's own types gives its text as ``postgres`` too. On PostgreSQL, ids are ``BIGINT``
(Discord ids need 64 bits; SQLite's INTEGER has them), row ids are identity columns, times
stay ISO-8601 UTC text as on SQLite, so a row reads back the same on both and a copy between
them can be checked value for value.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NamedTuple

from bot.storage.backend import Backend, Executor
from bot.storage.connection import split_statements
from bot.storage.dialect import Dialect, Sql
from bot.storage.errors import SchemaTooNewError, StorageError
from bot.storage.records import utc_now_text

log = logging.getLogger(__name__)


class Migration(NamedTuple):
    """One schema step. ``name`` is recorded too, to catch two branches reusing a number."""

    version: int
    name: str
    sql: str
    postgres: str | None = None
    """PostgreSQL's text where it differs from ``sql``; None runs ``sql`` on both."""

    def statements(self, dialect: Dialect) -> list[str]:
        if dialect == "postgres":
            return [self.postgres or self.sql]  # asyncpg runs a whole script in one call
        return split_statements(self.sql)


_V1_GENERATIONS_AND_RATINGS = """
CREATE TABLE generations (
    id             INTEGER PRIMARY KEY,
    created_at     TEXT    NOT NULL,
    guild_id       INTEGER,
    channel_id     INTEGER,
    user_id        INTEGER,
    message_id     INTEGER,
    interaction_id INTEGER,
    source         TEXT    NOT NULL CHECK (source IN ('discord', 'console')),
    seed           TEXT    NOT NULL,
    params_json    TEXT    NOT NULL
                   CHECK (json_valid(params_json) AND json_type(params_json) = 'object'),
    rng_seed       INTEGER,
    model_version  TEXT    NOT NULL,
    output         TEXT,
    latency_ms     REAL,
    status         TEXT    NOT NULL CHECK (status IN ('ok', 'error', 'timeout', 'cancelled')),
    error          TEXT
);

-- Partial unique index: a message maps to at most one generation, any number of generations
-- may still be waiting for theirs (NULL), and it is the index for lookups by message_id.
CREATE UNIQUE INDEX generations_message_id
    ON generations (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX generations_guild_created ON generations (guild_id, created_at);
CREATE INDEX generations_model_version ON generations (model_version);

-- The primary key (generation_id, user_id) is also the index for lookups by generation_id,
-- so no separate index is created; typeof() stops 4.5 or '4' slipping past the range check.
CREATE TABLE ratings (
    generation_id INTEGER NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    score         INTEGER NOT NULL CHECK (typeof(score) = 'integer' AND score BETWEEN 1 AND 5),
    rated_at      TEXT    NOT NULL,
    PRIMARY KEY (generation_id, user_id)
);
"""

_V2_CORPUS_TRAINING_AUDIT = """
-- Texts offered for training. sha256 is of the normalised text (the caller normalises), so
-- its UNIQUE constraint is what refuses a resubmission; (status, id) serves the review queue
-- and the approved-corpus read, both ordered by id.
CREATE TABLE corpus_entries (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT    NOT NULL UNIQUE CHECK (length(sha256) = 64),
    text          TEXT    NOT NULL,
    chars         INTEGER NOT NULL CHECK (chars >= 0),
    source        TEXT    NOT NULL CHECK (source IN ('submission', 'import', 'starter')),
    title         TEXT,
    licence       TEXT,
    submitted_by  INTEGER,
    submitted_at  TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reviewed_by   INTEGER,
    reviewed_at   TEXT,
    review_reason TEXT
);
CREATE INDEX corpus_entries_status_id ON corpus_entries (status, id);

-- One row per training attempt, written as 'running' when it starts and updated once when it
-- ends. Rows still 'running' at start-up belong to a crashed process and become 'interrupted'.
CREATE TABLE training_runs (
    id                 INTEGER PRIMARY KEY,
    trigger            TEXT    NOT NULL CHECK (trigger IN ('manual', 'scheduled', 'starter')),
    requested_by       INTEGER,
    started_at         TEXT    NOT NULL,
    ended_at           TEXT,
    level              TEXT    NOT NULL,
    params_json        TEXT    NOT NULL
                       CHECK (json_valid(params_json) AND json_type(params_json) = 'object'),
    corpus_fingerprint TEXT,
    metrics_json       TEXT
                       CHECK (metrics_json IS NULL
                              OR (json_valid(metrics_json) AND json_type(metrics_json) = 'object')),
    outcome            TEXT    NOT NULL CHECK (outcome IN (
                           'running', 'promoted', 'not_promoted', 'skipped', 'failed',
                           'interrupted')),
    reason             TEXT,
    model_version      TEXT,
    error              TEXT
);
CREATE INDEX training_runs_started_at ON training_runs (started_at);

-- Privileged commands, allowed or refused. Append-only: nothing in the code updates a row.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT    NOT NULL,
    user_id  INTEGER,
    guild_id INTEGER,
    action   TEXT    NOT NULL,
    allowed  INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    detail   TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
"""

_V3_RATING_REACTIONS = """
-- Every rating reaction a user has left on an answer. Discord lets one user leave several
-- (3 and then 5); the rating is the latest, and taking that one off falls back to the latest
-- that remains instead of leaving no rating. id orders them: INSERT OR REPLACE of a reaction
-- given again deletes its old row and takes a new, higher id.
CREATE TABLE rating_reactions (
    id            INTEGER PRIMARY KEY,
    generation_id INTEGER NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    score         INTEGER NOT NULL CHECK (typeof(score) = 'integer' AND score BETWEEN 1 AND 5),
    reacted_at    TEXT    NOT NULL,
    UNIQUE (generation_id, user_id, score)
);

-- A rating given before this table existed is the one reaction known to stand behind it.
INSERT INTO rating_reactions (generation_id, user_id, score, reacted_at)
    SELECT generation_id, user_id, score, rated_at FROM ratings ORDER BY rated_at;
"""

_V4_PENDING_REQUESTS = """
-- Requests taken on and not yet answered, held from just before Discord is told "thinking…"
-- (message_id is that placeholder, NULL until Discord has said which message it is). A crash
-- strands them; the next start answers each one through its interaction's webhook while the
-- token lives (15 minutes from created_at) and closes the rest in the log. token is a
-- secret: it is kept only while the request is pending, deleted with its row, and left out
-- of backups.
CREATE TABLE pending_requests (
    interaction_id INTEGER PRIMARY KEY,
    created_at     TEXT    NOT NULL,
    application_id INTEGER NOT NULL,
    token          TEXT    NOT NULL,
    message_id     INTEGER,
    request_json   TEXT    NOT NULL
                   CHECK (json_valid(request_json) AND json_type(request_json) = 'object')
);
"""

_V5_GENERATION_LINKS = """
-- A generation made from another one by an answer's buttons: another take, a continuation,
-- or the same seed with other settings. 'lyrics' is a /lyrics (or console) answer of its own,
-- 'song' a /song (its output holds the labelled sections).
ALTER TABLE generations ADD COLUMN parent_id INTEGER
    REFERENCES generations (id) ON DELETE SET NULL;
ALTER TABLE generations ADD COLUMN kind TEXT NOT NULL DEFAULT 'lyrics'
    CHECK (kind IN ('lyrics', 'take', 'continue', 'edit', 'song'));
CREATE INDEX generations_parent_id ON generations (parent_id) WHERE parent_id IS NOT NULL;
"""

_V6_PRESET_STATE = """
-- The preset bandit's state per guild (services/presets.py): the preset an admin pinned (NULL:
-- none, the bandit picks) and when its learning was last reset (ratings of generations made
-- before then no longer count). scope is the guild id, 0 for the console and direct messages.
CREATE TABLE preset_state (
    scope      INTEGER PRIMARY KEY,
    pinned     TEXT,
    reset_at   TEXT,
    updated_by INTEGER,
    updated_at TEXT NOT NULL
);
"""

# PostgreSQL's texts of the migrations above. Same tables, columns, keys, indexes and checks;
# BIGINT for ids, identity columns for row ids (BY DEFAULT, so `lyricbot migrate` can copy ids
# over), DOUBLE PRECISION for SQLite's REAL, and a CHECK that the JSON text is an object.
_PG_JSON_OBJECT = "CHECK (jsonb_typeof({column}::jsonb) = 'object')"

_PG_V1_GENERATIONS_AND_RATINGS = f"""
CREATE TABLE generations (
    id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    created_at     TEXT    NOT NULL,
    guild_id       BIGINT,
    channel_id     BIGINT,
    user_id        BIGINT,
    message_id     BIGINT,
    interaction_id BIGINT,
    source         TEXT    NOT NULL CHECK (source IN ('discord', 'console')),
    seed           TEXT    NOT NULL,
    params_json    TEXT    NOT NULL {_PG_JSON_OBJECT.format(column="params_json")},
    rng_seed       BIGINT,
    model_version  TEXT    NOT NULL,
    output         TEXT,
    latency_ms     DOUBLE PRECISION,
    status         TEXT    NOT NULL CHECK (status IN ('ok', 'error', 'timeout', 'cancelled')),
    error          TEXT
);
CREATE UNIQUE INDEX generations_message_id
    ON generations (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX generations_guild_created ON generations (guild_id, created_at);
CREATE INDEX generations_model_version ON generations (model_version);
CREATE TABLE ratings (
    generation_id BIGINT   NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    user_id       BIGINT   NOT NULL,
    score         SMALLINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    rated_at      TEXT     NOT NULL,
    PRIMARY KEY (generation_id, user_id)
);
"""

_PG_V2_CORPUS_TRAINING_AUDIT = f"""
CREATE TABLE corpus_entries (
    id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    sha256        TEXT    NOT NULL UNIQUE CHECK (length(sha256) = 64),
    text          TEXT    NOT NULL,
    chars         BIGINT  NOT NULL CHECK (chars >= 0),
    source        TEXT    NOT NULL CHECK (source IN ('submission', 'import', 'starter')),
    title         TEXT,
    licence       TEXT,
    submitted_by  BIGINT,
    submitted_at  TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reviewed_by   BIGINT,
    reviewed_at   TEXT,
    review_reason TEXT
);
CREATE INDEX corpus_entries_status_id ON corpus_entries (status, id);
CREATE TABLE training_runs (
    id                 BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    trigger            TEXT    NOT NULL CHECK (trigger IN ('manual', 'scheduled', 'starter')),
    requested_by       BIGINT,
    started_at         TEXT    NOT NULL,
    ended_at           TEXT,
    level              TEXT    NOT NULL,
    params_json        TEXT    NOT NULL {_PG_JSON_OBJECT.format(column="params_json")},
    corpus_fingerprint TEXT,
    metrics_json       TEXT    CHECK (metrics_json IS NULL
                                      OR jsonb_typeof(metrics_json::jsonb) = 'object'),
    outcome            TEXT    NOT NULL CHECK (outcome IN (
                           'running', 'promoted', 'not_promoted', 'skipped', 'failed',
                           'interrupted')),
    reason             TEXT,
    model_version      TEXT,
    error              TEXT
);
CREATE INDEX training_runs_started_at ON training_runs (started_at);
CREATE TABLE audit_log (
    id       BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at       TEXT    NOT NULL,
    user_id  BIGINT,
    guild_id BIGINT,
    action   TEXT    NOT NULL,
    allowed  INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    detail   TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
"""

_PG_V3_RATING_REACTIONS = """
CREATE TABLE rating_reactions (
    id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    generation_id BIGINT   NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    user_id       BIGINT   NOT NULL,
    score         SMALLINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    reacted_at    TEXT     NOT NULL,
    UNIQUE (generation_id, user_id, score)
);
INSERT INTO rating_reactions (generation_id, user_id, score, reacted_at)
    SELECT generation_id, user_id, score, rated_at FROM ratings ORDER BY rated_at;
"""

_PG_V4_PENDING_REQUESTS = f"""
CREATE TABLE pending_requests (
    interaction_id BIGINT  PRIMARY KEY,
    created_at     TEXT    NOT NULL,
    application_id BIGINT  NOT NULL,
    token          TEXT    NOT NULL,
    message_id     BIGINT,
    request_json   TEXT    NOT NULL {_PG_JSON_OBJECT.format(column="request_json")}
);
"""

_PG_V5_GENERATION_LINKS = """
ALTER TABLE generations ADD COLUMN parent_id BIGINT
    REFERENCES generations (id) ON DELETE SET NULL;
ALTER TABLE generations ADD COLUMN kind TEXT NOT NULL DEFAULT 'lyrics'
    CHECK (kind IN ('lyrics', 'take', 'continue', 'edit', 'song'));
CREATE INDEX generations_parent_id ON generations (parent_id) WHERE parent_id IS NOT NULL;
"""

_PG_V6_PRESET_STATE = """
CREATE TABLE preset_state (
    scope      BIGINT PRIMARY KEY,
    pinned     TEXT,
    reset_at   TEXT,
    updated_by BIGINT,
    updated_at TEXT NOT NULL
);
"""

_V7_CORPUS_STYLES = """
-- A corpus entry's style (blues, sea_shanty, ...): training starts its song with that style's
-- token (lyriccore/styles.py). NULL: it names none and trains under the generic token.
-- Starter entries of earlier versions are labelled at the next start (services/corpus.py).
ALTER TABLE corpus_entries ADD COLUMN style TEXT;
"""

_V8_REQUEST_TIMES = """
-- When each user last asked for lyrics, for a cooldown shared by every bot process on this
-- database (a sharded bot: one user, several guilds, several processes). Coordination, not
-- data: rows older than the cooldown's window are deleted as they expire, and neither backups
-- nor `lyricbot migrate` copy them. at is seconds since the epoch.
CREATE TABLE request_times (
    user_id INTEGER NOT NULL,
    at      REAL    NOT NULL
);
CREATE INDEX request_times_user_at ON request_times (user_id, at);
"""

_PG_V8_REQUEST_TIMES = """
CREATE TABLE request_times (
    user_id BIGINT           NOT NULL,
    at      DOUBLE PRECISION NOT NULL
);
CREATE INDEX request_times_user_at ON request_times (user_id, at);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "generations_and_ratings", _V1_GENERATIONS_AND_RATINGS,
              _PG_V1_GENERATIONS_AND_RATINGS),
    Migration(2, "corpus_training_audit", _V2_CORPUS_TRAINING_AUDIT,
              _PG_V2_CORPUS_TRAINING_AUDIT),
    Migration(3, "rating_reactions", _V3_RATING_REACTIONS, _PG_V3_RATING_REACTIONS),
    Migration(4, "pending_requests", _V4_PENDING_REQUESTS, _PG_V4_PENDING_REQUESTS),
    Migration(5, "generation_links", _V5_GENERATION_LINKS, _PG_V5_GENERATION_LINKS),
    Migration(6, "preset_state", _V6_PRESET_STATE, _PG_V6_PRESET_STATE),
    Migration(7, "corpus_styles", _V7_CORPUS_STYLES),
    Migration(8, "request_times", _V8_REQUEST_TIMES, _PG_V8_REQUEST_TIMES),
)  # fmt: skip
LATEST_VERSION: int = MIGRATIONS[-1].version

_CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""

MIGRATION_LOCK = 0x6C79_7269_6301
"""PostgreSQL advisory lock key held while migrating: two processes starting at once take
turns (SQLite's ``BEGIN IMMEDIATE`` does the same for a file)."""

_TABLES = Sql(
    sqlite="SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'",
    postgres="SELECT table_name AS name FROM information_schema.tables"
    " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
)


async def migrate(backend: Backend, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database up to the last of ``migrations``; return the resulting version.

    ``migrations`` is a parameter so tests can build a database at an older version (a
    prefix of the list) and then upgrade it with the full list.
    """
    _check_sequence(migrations)
    async with backend.transaction(MIGRATION_LOCK) as tx:
        await tx.execute(_CREATE_MIGRATIONS_TABLE)
    applied = await applied_migrations(backend)
    _check_compatible(applied, migrations)
    for migration in migrations:
        if migration.version not in applied:
            await _apply(backend, migration)
    return await schema_version(backend)


async def table_names(backend: Executor) -> set[str]:
    """The tables in the database (on PostgreSQL: in its current schema)."""
    return {str(row[0]) for row in await backend.fetchall(_TABLES)}


async def has_foreign_tables(backend: Backend) -> bool:
    """True for a database holding tables but no migration record: another app's."""
    names = await table_names(backend)
    return bool(names) and "schema_migrations" not in names


async def applied_migrations(backend: Executor) -> dict[int, str]:
    """Versions recorded in the database, with the names they were recorded under."""
    rows = await backend.fetchall("SELECT version, name FROM schema_migrations")
    return {int(row[0]): str(row[1]) for row in rows}


async def schema_version(backend: Executor) -> int:
    """The highest applied migration, 0 for a database with none."""
    rows = await backend.fetchall("SELECT MAX(version) FROM schema_migrations")
    return int(rows[0][0] or 0)


async def _apply(backend: Backend, migration: Migration) -> None:
    """Run one migration and record it, atomically; skip it if another process just did."""
    async with backend.transaction(MIGRATION_LOCK) as tx:
        already = await tx.fetchall(
            "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
        )
        if already:
            return
        for statement in migration.statements(backend.dialect):
            await tx.execute(statement)
        await tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (migration.version, migration.name, utc_now_text()),
        )
    log.info("applied schema migration %d (%s)", migration.version, migration.name)


def _check_sequence(migrations: Sequence[Migration]) -> None:
    """Reject a list that is empty or not numbered 1, 2, 3, … (a programming error)."""
    versions = [m.version for m in migrations]
    if not versions or versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3, … in order, got {versions}")


def _check_compatible(applied: dict[int, str], migrations: Sequence[Migration]) -> None:
    """Refuse a database from newer code, or one whose history diverges from ours."""
    known = {m.version: m.name for m in migrations}
    newest_known = max(known)
    if applied and max(applied) > newest_known:
        raise SchemaTooNewError(max(applied), newest_known)
    for version, name in sorted(applied.items()):
        if known.get(version) != name:
            raise StorageError(
                f"database migration {version} is {name!r} but this code's is "
                f"{known.get(version)!r}; the database came from a different branch"
            )
