"""The bot's database: one backend (a SQLite file, or PostgreSQL) that every read and write
goes through.

It holds the generation log and its ratings, the training corpus with its review state, the
history of training runs, and the audit log of privileged commands.

Every write is one statement through ``_write`` and commits on its own; a write of several
statements goes through ``_write_all``, one transaction. The backend decides how: SQLite
serialises every write on one connection (see ``sqlite_backend``), PostgreSQL runs each on a
pooled connection (see ``postgres_backend``). The SQL is shared; where the dialects differ
(JSON, the database's own catalogue) a statement is a ``Sql`` with both texts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Self, get_args

from bot.storage import (
    admin_tables,
    backup_file,
    migrations,
    pending_table,
    preset_tables,
    rate_table,
    rating_tables,
    transfer,
)
from bot.storage.backend import Backend, ConstraintError, Params, Row, WriteResult
from bot.storage.dialect import Dialect, Sql, with_json_fields
from bot.storage.errors import (
    DuplicateEntryError,
    ForeignDatabaseError,
    InvalidRatingError,
    StorageError,
    UnknownEntryError,
    UnknownGenerationError,
    UnknownRunError,
)
from bot.storage.locks import lock_key
from bot.storage.postgres_backend import PostgresBackend
from bot.storage.preset_tables import PresetRatings, PresetState
from bot.storage.rating_tables import DailyRatings, RatedAnswer, ScoreCount
from bot.storage.records import (
    CORPUS_STATUSES,
    FINISHED_OUTCOMES,
    REVIEW_DECISIONS,
    AuditEntry,
    CorpusEntry,
    CorpusStatus,
    FinishedOutcome,
    GenerationRow,
    NewCorpusEntry,
    NewGeneration,
    NewTrainingRun,
    PendingRequest,
    ReviewDecision,
    StatsReport,
    TrainingRun,
    check_choice,
    to_utc_text,
    utc_now_text,
)
from bot.storage.sqlite_backend import SqliteBackend
from bot.storage.stats import (
    SCHEME_KEY,
    STYLE_KEY,
    TEMPERATURE_KEY,
    WORDS_KEY,
    SliceSums,
    build_report,
)
from bot.storage.urls import PostgresTarget, SqliteTarget, Target, parse_target

log = logging.getLogger(__name__)

EXPORT_PAGE_SIZE = 500
"""Rows fetched per query while exporting: bounded memory, no cursor held across awaits."""

_GENERATION_COLUMNS = (
    "id, created_at, source, guild_id, channel_id, user_id, message_id, interaction_id, "
    "seed, params_json, rng_seed, model_version, output, latency_ms, status, error, "
    "parent_id, kind"
)

_INSERT_GENERATION = """
INSERT INTO generations (
    created_at, source, guild_id, channel_id, user_id, interaction_id, seed, params_json,
    rng_seed, model_version, output, latency_ms, status, error, parent_id, kind
) VALUES (
    :created_at, :source, :guild_id, :channel_id, :user_id, :interaction_id, :seed, :params_json,
    :rng_seed, :model_version, :output, :latency_ms, :status, :error, :parent_id, :kind
)
"""

_UPSERT_RATING = """
INSERT INTO ratings (generation_id, user_id, score, rated_at)
VALUES (:generation_id, :user_id, :score, :at)
ON CONFLICT (generation_id, user_id) DO UPDATE
    SET score = excluded.score, rated_at = excluded.rated_at
"""

_DROP_REACTION = """
DELETE FROM rating_reactions
WHERE generation_id = :generation_id AND user_id = :user_id AND score = :score
"""

# A reaction given again is deleted and inserted anew, so it takes a new, higher id: the
# latest reaction is the highest id.
_INSERT_REACTION = """
INSERT INTO rating_reactions (generation_id, user_id, score, reacted_at)
VALUES (:generation_id, :user_id, :score, :at)
"""
_ADD_REACTION = (_DROP_REACTION, _INSERT_REACTION)

# Only when the reaction taken off was the user's current score does the rating change: to the
# latest reaction still there, or, with none left, away.
_LATEST_REACTION = """
SELECT score FROM rating_reactions WHERE generation_id = :generation_id AND user_id = :user_id
ORDER BY id DESC LIMIT 1
"""
_FALL_BACK_TO_LATEST_REACTION = f"""
UPDATE ratings SET score = ({_LATEST_REACTION}), rated_at = :at
WHERE generation_id = :generation_id AND user_id = :user_id AND score = :score
    AND EXISTS ({_LATEST_REACTION})
"""
_DROP_RATING_WITHOUT_REACTIONS = f"""
DELETE FROM ratings
WHERE generation_id = :generation_id AND user_id = :user_id AND score = :score
    AND NOT EXISTS ({_LATEST_REACTION})
"""

_STATS = with_json_fields(
    """
SELECT g.model_version AS model_version,
       {temperature} AS temperature,
       {scheme} AS scheme,
       {words} AS words,
       {style} AS style,
       g.kind AS kind,
       COUNT(*) AS generations,
       COALESCE(SUM(r.n), 0) AS ratings,
       COALESCE(SUM(r.score_sum), 0) AS score_sum
FROM generations AS g
LEFT JOIN (
    SELECT generation_id, COUNT(*) AS n, SUM(score) AS score_sum
    FROM ratings GROUP BY generation_id
) AS r ON r.generation_id = g.id
WHERE CAST(:guild_id AS BIGINT) IS NULL OR g.guild_id = :guild_id
GROUP BY g.model_version, temperature, scheme, words, style, g.kind
""",
    temperature=("g.params_json", TEMPERATURE_KEY),
    scheme=("g.params_json", SCHEME_KEY),
    words=("g.params_json", WORDS_KEY),
    style=("g.params_json", STYLE_KEY),
)

_EXPORT_PAGE = """
SELECT {columns},
       (SELECT {ratings} FROM ratings AS r WHERE r.generation_id = generations.id) AS ratings_json
FROM generations
WHERE id > ? AND id <= ?
ORDER BY id
LIMIT ?
"""
_EXPORT_PAGE_SQL = Sql(
    sqlite=_EXPORT_PAGE.format(
        columns=_GENERATION_COLUMNS,
        ratings="json_group_array(json_object("
        "'user_id', r.user_id, 'score', r.score, 'rated_at', r.rated_at))",
    ),
    postgres=_EXPORT_PAGE.format(
        columns=_GENERATION_COLUMNS,
        ratings="COALESCE(json_agg(json_build_object("
        "'user_id', r.user_id, 'score', r.score, 'rated_at', r.rated_at))::text, '[]')",
    ),
)

_PARAM_KEYS = Sql(
    sqlite="SELECT DISTINCT p.key AS key FROM generations AS g, json_each(g.params_json) AS p"
    " WHERE g.id <= ? ORDER BY p.key",
    postgres="SELECT DISTINCT jsonb_object_keys(params_json::jsonb) AS key FROM generations"
    " WHERE id <= ? ORDER BY key",
)

_EXPORTED_COLUMNS = tuple(
    name.strip() for name in _GENERATION_COLUMNS.split(",") if name.strip() != "params_json"
)
"""Columns exported as they are; ``params_json`` is expanded into ``param_*`` fields instead."""


class Database:
    """The bot's generation log, corpus, training history and audit log.

    Open with ``Database.open``; close when done.

    ``async with await Database.open(path) as db:`` closes it on exit; a long-lived owner
    (the bot's ``setup_hook``) keeps the object and awaits ``close()`` at shutdown.
    """

    def __init__(self, backend: Backend) -> None:
        """Wrap an already opened and migrated backend; use ``open`` instead."""
        self._backend = backend

    @classmethod
    async def open(cls, location: Path | str | Target) -> Self:
        """Open (creating if needed) the database at ``location`` and apply pending migrations.

        ``location`` is a SQLite file path, or a URL (``sqlite:///PATH``, ``postgresql://…``).
        """
        backend = await _open_backend(_target(location))
        try:
            if await migrations.has_foreign_tables(backend):
                raise ForeignDatabaseError(backend.location)
            version = await migrations.migrate(backend)
        except BaseException:
            await backend.close()
            raise
        log.info("opened %s at schema version %d", backend.location, version)
        return cls(backend)

    async def close(self) -> None:
        """Close the connection(s); safe to call twice."""
        await self._backend.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def path(self) -> Path:
        """Where the SQLite file lives; a PostgreSQL database has no path."""
        if not isinstance(self._backend, SqliteBackend):
            raise StorageError(f"{self._backend.location} is not a SQLite file")
        return self._backend.path

    @property
    def location(self) -> str:
        """Where the data lives, for messages: the file, or the URL without its password."""
        return self._backend.location

    @property
    def dialect(self) -> Dialect:
        return self._backend.dialect

    @property
    def backend(self) -> Backend:
        """The backend itself, for the copier and the cross-process locks."""
        return self._backend

    # -- the one place that touches the connection ------------------------------------------

    async def _write(self, sql: str | Sql, params: Params) -> WriteResult:
        """Run one write statement; it is its own transaction."""
        return await self._backend.execute(sql, params)

    async def _insert(self, sql: str, params: Params) -> int:
        """Run one ``INSERT`` and return the new row's id."""
        return await self._backend.insert(sql, params)

    async def _write_all(self, sql: Sequence[str], params: dict[str, Any]) -> None:
        """Run several write statements with the same parameters as one transaction."""
        async with self._backend.transaction() as tx:
            for statement in sql:
                await tx.execute(statement, params)

    async def _fetchall(self, sql: str | Sql, params: Params = ()) -> list[Row]:
        return await self._backend.fetchall(sql, params)

    # -- generations ------------------------------------------------------------------------

    async def record_generation(self, new: NewGeneration) -> int:
        """Log a generation and return its id (attach the posted message later).

        Raises ``TypeError``/``ValueError`` when ``new.params`` is not JSON-serialisable.
        """
        created = new.created_at
        values = {
            "created_at": to_utc_text(created) if created else utc_now_text(),
            "source": new.source,
            "guild_id": new.guild_id,
            "channel_id": new.channel_id,
            "user_id": new.user_id,
            "interaction_id": new.interaction_id,
            "seed": new.seed,
            "params_json": json.dumps(dict(new.params), sort_keys=True, allow_nan=False),
            "rng_seed": new.rng_seed,
            "model_version": new.model_version,
            "output": new.output,
            "latency_ms": new.latency_ms,
            "status": new.status,
            "error": new.error,
            "parent_id": new.parent_id,
            "kind": new.kind,
        }
        return await self._insert(_INSERT_GENERATION, values)

    async def attach_message(self, generation_id: int, message_id: int) -> None:
        """Remember which Discord message shows this generation, so reactions find it."""
        try:
            result = await self._write(
                "UPDATE generations SET message_id = ? WHERE id = ?", (message_id, generation_id)
            )
        except ConstraintError as exc:
            raise StorageError(
                f"message {message_id} is already attached to another generation"
            ) from exc
        if result.rowcount == 0:
            raise UnknownGenerationError(generation_id)

    async def generation_for_message(self, message_id: int) -> int | None:
        """The generation posted as ``message_id``, or None if the message is not ours."""
        rows = await self._fetchall(
            "SELECT id FROM generations WHERE message_id = ?", (message_id,)
        )
        return int(rows[0]["id"]) if rows else None

    async def get_generation(self, generation_id: int) -> GenerationRow | None:
        """One logged generation, or None if there is no such id."""
        rows = await self._fetchall(
            f"SELECT {_GENERATION_COLUMNS} FROM generations WHERE id = ?", (generation_id,)
        )
        return _generation_row(rows[0]) if rows else None

    async def detach_message(self, message_id: int) -> None:
        """Free a message shown by an earlier generation, so an answer written again after a
        restart can take its place."""
        await self._write(
            "UPDATE generations SET message_id = NULL WHERE message_id = ?", (message_id,)
        )

    # -- requests acknowledged, not yet answered ---------------------------------------------

    async def add_pending(self, pending: PendingRequest) -> None:
        await self._write(pending_table.INSERT_PENDING, pending_table.pending_values(pending))

    async def pending_requests(self) -> list[PendingRequest]:
        """Oldest first: their tokens run out first."""
        rows = await self._fetchall(pending_table.ALL_PENDING)
        return [pending_table.pending_row(row) for row in rows]

    async def place_pending(self, interaction_id: int, message_id: int) -> None:
        await self._write(pending_table.PLACE_PENDING, (message_id, interaction_id))

    async def forget_pending(self, interaction_id: int) -> None:
        await self._write(pending_table.DELETE_PENDING, (interaction_id,))

    # -- ratings ----------------------------------------------------------------------------

    async def set_rating(self, generation_id: int, user_id: int, score: int) -> None:
        """Record ``user_id``'s score for a generation, replacing any earlier score of theirs."""
        await self._rating_write((_UPSERT_RATING,), generation_id, user_id, score)

    async def add_reaction_rating(self, generation_id: int, user_id: int, score: int) -> None:
        """A rating reaction was added: it becomes the user's score, and is remembered so
        that taking a later one off can fall back to it."""
        await self._rating_write((*_ADD_REACTION, _UPSERT_RATING), generation_id, user_id, score)

    async def remove_reaction_rating(
        self, generation_id: int, user_id: int, score: int
    ) -> int | None:
        """A rating reaction was taken off; returns the user's score afterwards (None: none).

        Taking off 3 after re-rating with 5 keeps the 5; taking off the 5 goes back to the 3
        if its reaction is still there, and only with no reaction left is the rating gone.
        """
        await self._rating_write(
            (_DROP_REACTION, _FALL_BACK_TO_LATEST_REACTION, _DROP_RATING_WITHOUT_REACTIONS),
            generation_id,
            user_id,
            score,
        )
        return (await self.ratings_for(generation_id)).get(user_id)

    async def _rating_write(
        self, sql: Sequence[str], generation_id: int, user_id: int, score: int
    ) -> None:
        _check_score(score)
        params = {
            "generation_id": generation_id,
            "user_id": user_id,
            "score": score,
            "at": utc_now_text(),
        }
        try:
            await self._write_all(sql, params)
        except ConstraintError as exc:
            if exc.kind == "foreign_key":
                raise UnknownGenerationError(generation_id) from exc
            raise

    async def ratings_for(self, generation_id: int) -> dict[int, int]:
        """Each rating user's current score for one generation (empty if none or no such id)."""
        rows = await self._fetchall(
            "SELECT user_id, score FROM ratings WHERE generation_id = ? ORDER BY user_id",
            (generation_id,),
        )
        return {int(row["user_id"]): int(row["score"]) for row in rows}

    # -- preset bandit ----------------------------------------------------------------------

    async def preset_ratings(self, scope: int) -> list[PresetRatings]:
        """Each preset's ratings in guild ``scope`` (``NO_GUILD``: console and DMs) and in all
        other guilds, counting only generations made after their guild's last reset."""
        params = {"scope": scope}
        rows = await self._fetchall(preset_tables.PRESET_RATINGS, params)
        return [preset_tables.preset_ratings(row) for row in rows]

    async def preset_state(self, scope: int) -> PresetState:
        """The guild's pin and last reset (neither, for a guild no admin has touched)."""
        rows = await self._fetchall(preset_tables.PRESET_STATE, (scope,))
        return preset_tables.preset_state(rows[0]) if rows else PresetState(None, None)

    async def pin_preset(self, scope: int, preset: str | None, by: int | None) -> None:
        """Pin ``preset`` for the guild (None: unpin, the bandit picks again)."""
        values = {"scope": scope, "value": preset, "by": by, "at": utc_now_text()}
        await self._write(preset_tables.PIN_PRESET, values)

    async def reset_presets(self, scope: int, by: int | None) -> None:
        """Forget the guild's ratings so far, for the bandit only (they stay in the log)."""
        now = utc_now_text()
        await self._write(
            preset_tables.RESET_PRESETS, {"scope": scope, "value": now, "by": by, "at": now}
        )

    # -- a cooldown shared by processes ------------------------------------------------------

    async def take_request_slot(self, user_id: int, rate: int, per: float, now: float) -> float:
        """Count one request of ``user_id`` at ``now`` (seconds since the epoch) against
        ``rate`` requests per ``per`` seconds; returns 0 when it is allowed, else how many
        seconds until it would be. Every process on this database shares the count: the
        user's lock is held from the read to the write, so two processes cannot both take
        the last slot."""
        async with self._backend.transaction(lock_key(f"request-times:{user_id}")) as tx:
            await tx.execute(rate_table.FORGET_EXPIRED, (user_id, now - per))
            recent = [float(row[0]) for row in await tx.fetchall(rate_table.RECENT, (user_id,))]
            if len(recent) >= rate:
                return max(0.001, recent[len(recent) - rate] + per - now)
            await tx.execute(rate_table.RECORD, (user_id, now))
            return 0.0

    # -- reporting --------------------------------------------------------------------------

    async def stats(self, guild_id: int | None = None) -> StatsReport:
        """Generation and rating counts for one guild (or all, with None): by model,
        temperature band, rhyme scheme, word mode and style."""
        rows = await self._fetchall(_STATS, {"guild_id": guild_id})
        slices = (
            SliceSums(
                model_version=str(row["model_version"]),
                temperature=row["temperature"],
                generations=int(row["generations"]),
                ratings=int(row["ratings"]),
                score_sum=int(row["score_sum"]),
                scheme=_text_or_none(row["scheme"]),
                words=_text_or_none(row["words"]),
                kind=str(row["kind"]),
                style=_text_or_none(row["style"]),
            )
            for row in rows
        )
        return build_report(guild_id, slices)

    async def score_counts(self, guild_id: int | None = None) -> list[ScoreCount]:
        """How many ratings of each score each (model, temperature, scheme) slice got."""
        rows = await self._fetchall(rating_tables.SCORE_COUNTS, {"guild_id": guild_id})
        return [rating_tables.score_count(row) for row in rows]

    async def rated_answers(
        self,
        guild_id: int | None = None,
        *,
        best_first: bool = True,
        min_raters: int = 1,
        min_mean: float = 1.0,
        limit: int = 10,
    ) -> list[RatedAnswer]:
        """Answers rated by at least ``min_raters`` people with a mean of at least
        ``min_mean``, best (or worst) mean first."""
        _check_page(limit, 0)
        params = {
            "guild_id": guild_id,
            "order": 1 if best_first else -1,
            "min_raters": min_raters,
            "min_mean": min_mean,
            "limit": limit,
        }
        rows = await self._fetchall(rating_tables.RATED_ANSWERS, params)
        return [rating_tables.rated_answer(row) for row in rows]

    async def ratings_by_day(self, guild_id: int | None = None) -> list[DailyRatings]:
        """Ratings given per UTC day, oldest first."""
        rows = await self._fetchall(rating_tables.RATINGS_BY_DAY, {"guild_id": guild_id})
        return [rating_tables.daily_ratings(row) for row in rows]

    async def export_rows(self) -> AsyncIterator[dict[str, Any]]:
        """Yield one flat dict per generation, oldest first, for offline human evaluation.

        Every dict has the same keys: the generation's columns, one ``param_<name>`` per
        sampling parameter seen in any row (None where a row lacks it), ``rating_count``,
        ``rating_mean`` and ``ratings`` (a list of {user_id, score, rated_at}). Rows logged
        after the export starts are left out, so the key set cannot change mid-export.
        """
        newest = await self._fetchall("SELECT COALESCE(MAX(id), 0) AS newest FROM generations")
        upper = int(newest[0]["newest"])
        keys = await self._fetchall(_PARAM_KEYS, (upper,))
        param_keys = [str(row["key"]) for row in keys]
        last = 0
        while rows := await self._fetchall(_EXPORT_PAGE_SQL, (last, upper, EXPORT_PAGE_SIZE)):
            for row in rows:
                yield _export_row(row, param_keys)
            last = int(rows[-1]["id"])

    # -- corpus -----------------------------------------------------------------------------

    async def add_corpus_entry(self, new: NewCorpusEntry) -> int:
        """Add a text to the corpus and return its id.

        A text whose ``sha256`` is already stored is refused with ``DuplicateEntryError``,
        which names the earlier entry and its status, whatever that status is: a rejected
        text does not come back by being submitted again.
        """
        try:
            return await self._insert(
                admin_tables.INSERT_CORPUS_ENTRY, admin_tables.corpus_values(new)
            )
        except ConstraintError as exc:
            if exc.kind != "unique":
                raise
            rows = await self._fetchall(
                "SELECT id, status FROM corpus_entries WHERE sha256 = ?", (new.sha256,)
            )
            if not rows:  # entries are never deleted, so the clash must still be there
                raise
            raise DuplicateEntryError(int(rows[0]["id"]), str(rows[0]["status"])) from exc

    async def corpus_digests(self) -> set[str]:
        """The sha256 of every text the corpus holds, whatever its state."""
        return {row[0] for row in await self._fetchall("SELECT sha256 FROM corpus_entries", ())}

    async def label_unstyled_entries(self, styles: dict[str, str]) -> int:
        """Give the entries with these digests (sha256 → style) their style where they have
        none; returns how many were labelled."""
        labelled = 0
        for sha256, style in styles.items():
            params = {"sha256": sha256, "style": style}
            labelled += (await self._write(admin_tables.LABEL_UNSTYLED_ENTRY, params)).rowcount
        return labelled

    async def get_corpus_entry(self, entry_id: int) -> CorpusEntry | None:
        """One corpus entry, or None if there is no such id."""
        rows = await self._fetchall(
            f"SELECT {admin_tables.CORPUS_COLUMNS} FROM corpus_entries WHERE id = ?", (entry_id,)
        )
        return admin_tables.corpus_entry(rows[0]) if rows else None

    async def list_corpus_entries(
        self, status: CorpusStatus | None = None, *, limit: int = 20, offset: int = 0
    ) -> list[CorpusEntry]:
        """A page of entries, newest first; with ``status``, only entries in that state."""
        _check_page(limit, offset)
        page = {"limit": limit, "offset": offset}
        if status is None:
            rows = await self._fetchall(admin_tables.LIST_CORPUS_ENTRIES, page)
        else:
            check_choice("status", status, CORPUS_STATUSES)
            rows = await self._fetchall(
                admin_tables.LIST_CORPUS_ENTRIES_WITH_STATUS, {**page, "status": status}
            )
        return [admin_tables.corpus_entry(row) for row in rows]

    async def review_corpus_entry(
        self,
        entry_id: int,
        status: ReviewDecision,
        reviewer: int | None,
        reason: str | None = None,
    ) -> CorpusEntry:
        """Approve or reject an entry and return it as updated; ``reviewer`` None is the CLI.

        Reviewing an entry again replaces the earlier decision, reviewer, time and reason.
        """
        check_choice("status", status, REVIEW_DECISIONS)
        values = {
            "id": entry_id,
            "status": status,
            "reviewed_by": reviewer,
            "reviewed_at": utc_now_text(),
            "review_reason": reason,
        }
        result = await self._write(admin_tables.REVIEW_CORPUS_ENTRY, values)
        entry = await self.get_corpus_entry(entry_id) if result.rowcount else None
        if entry is None:
            raise UnknownEntryError(entry_id)
        return entry

    async def approved_corpus_entries(self) -> list[CorpusEntry]:
        """Every approved entry, oldest first: the order the training corpus is built in."""
        rows = await self._fetchall(admin_tables.APPROVED_CORPUS_ENTRIES)
        return [admin_tables.corpus_entry(row) for row in rows]

    async def corpus_counts(self) -> dict[str, int]:
        """How many entries are pending, approved and rejected; every status is a key."""
        rows = await self._fetchall(admin_tables.CORPUS_COUNTS)
        counts = dict.fromkeys(get_args(CorpusStatus), 0)
        counts.update({str(row["status"]): int(row["n"]) for row in rows})
        return counts

    # -- training runs ----------------------------------------------------------------------

    async def start_training_run(self, new: NewTrainingRun) -> int:
        """Record a run as ``running`` and return its id; finish it with ``finish_training_run``.

        Raises ``TypeError``/``ValueError`` when ``new.params`` is not JSON-serialisable.
        """
        return await self._insert(admin_tables.INSERT_TRAINING_RUN, admin_tables.run_values(new))

    async def finish_training_run(
        self,
        run_id: int,
        outcome: FinishedOutcome,
        *,
        reason: str | None = None,
        metrics: Mapping[str, Any] | None = None,
        model_version: str | None = None,
        error: str | None = None,
        corpus_fingerprint: str | None = None,
    ) -> TrainingRun:
        """Record how a run ended (now) and return it as updated.

        ``corpus_fingerprint`` None keeps the one given at start. Finishing a run again
        replaces the earlier ending. Raises ``UnknownRunError`` for an unknown id, and
        ``ValueError`` for ``outcome="running"`` or metrics that are not plain JSON (NaN).
        """
        check_choice("outcome", outcome, FINISHED_OUTCOMES)
        values = {
            "id": run_id,
            "outcome": outcome,
            "ended_at": utc_now_text(),
            "reason": reason,
            "metrics_json": (
                None if metrics is None else admin_tables.json_object_text("metrics", metrics)
            ),
            "model_version": model_version,
            "error": error,
            "corpus_fingerprint": corpus_fingerprint,
        }
        result = await self._write(admin_tables.FINISH_TRAINING_RUN, values)
        run = await self.get_training_run(run_id) if result.rowcount else None
        if run is None:
            raise UnknownRunError(run_id)
        return run

    async def get_training_run(self, run_id: int) -> TrainingRun | None:
        """One training run, or None if there is no such id."""
        rows = await self._fetchall(
            f"SELECT {admin_tables.RUN_COLUMNS} FROM training_runs WHERE id = ?", (run_id,)
        )
        return admin_tables.training_run(rows[0]) if rows else None

    async def last_training_run(self, *, finished_only: bool = False) -> TrainingRun | None:
        """The most recently started run; with ``finished_only``, the latest not still running."""
        rows = await self._fetchall(
            admin_tables.LAST_TRAINING_RUN, {"finished_only": bool(finished_only)}
        )
        return admin_tables.training_run(rows[0]) if rows else None

    async def running_training_runs(self) -> list[TrainingRun]:
        """Runs recorded as still running, oldest first."""
        rows = await self._fetchall(admin_tables.RUNNING_TRAINING_RUNS)
        return [admin_tables.training_run(row) for row in rows]

    async def mark_interrupted_runs(self, reason: str) -> int:
        """At start-up: mark every run still ``running`` as ``interrupted``; return how many.

        Only call this while no training process of this database can be alive (before the
        bot starts one). ``ended_at`` stays None, since when the run really stopped is unknown.
        """
        result = await self._write(admin_tables.MARK_INTERRUPTED_RUNS, (reason,))
        if result.rowcount:
            log.warning("marked %d unfinished training run(s) as interrupted", result.rowcount)
        return result.rowcount

    # -- audit log --------------------------------------------------------------------------

    async def record_audit(
        self,
        *,
        action: str,
        allowed: bool,
        user_id: int | None = None,
        guild_id: int | None = None,
        detail: str | None = None,
    ) -> int:
        """Log a privileged action (say ``"retrain"``), whether it was allowed; return its id."""
        if not isinstance(allowed, bool):
            raise ValueError(f"allowed must be True or False, got {allowed!r}")
        if not action.strip():
            raise ValueError("action must not be empty")
        values = {
            "at": utc_now_text(),
            "user_id": user_id,
            "guild_id": guild_id,
            "action": action,
            "allowed": int(allowed),
            "detail": detail,
        }
        return await self._insert(admin_tables.INSERT_AUDIT_ENTRY, values)

    async def audit_entries(self, limit: int = 50) -> list[AuditEntry]:
        """The latest ``limit`` audit entries, newest first."""
        _check_page(limit, 0)
        rows = await self._fetchall(admin_tables.LATEST_AUDIT_ENTRIES, (limit,))
        return [admin_tables.audit_entry(row) for row in rows]

    # -- maintenance ------------------------------------------------------------------------

    async def integrity_check(self) -> str:
        """``"ok"``, or what is wrong one per line: SQLite's own check of its file; on
        PostgreSQL (which checks its pages itself) that every lyricbot table can be read."""
        if self._backend.dialect == "sqlite":
            rows = await self._fetchall("PRAGMA integrity_check")
            return "\n".join(str(row[0]) for row in rows)
        await transfer.row_counts(self._backend)
        return "ok"

    async def schema_version(self) -> int:
        """The highest migration applied to this database."""
        return await migrations.schema_version(self._backend)

    async def backup_to(self, path: Path) -> None:
        """Copy the live database to the SQLite file ``path`` while the bot keeps running:
        a consistent snapshot, without interaction tokens, renamed into place when whole."""
        if isinstance(self._backend, SqliteBackend):
            await backup_file.backup_sqlite(self._backend, path)
        else:
            await backup_file.backup_to_sqlite(self._backend, path)
        log.info("backed up %s to %s", self._backend.location, path)


def _target(location: Path | str | Target) -> Target:
    if isinstance(location, SqliteTarget | PostgresTarget):
        return location
    try:
        return parse_target(location)
    except ValueError as exc:
        raise StorageError(str(exc)) from None


async def _open_backend(target: Target) -> Backend:
    if isinstance(target, SqliteTarget):
        return await SqliteBackend.open(target.path)
    return await PostgresBackend.open(target.dsn, target.masked)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _check_page(limit: int, offset: int) -> None:
    """Refuse a page SQLite would misread: a negative LIMIT means "no limit" to it."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")


def _check_score(score: object) -> None:
    """Reject anything but an int 1..5 before SQLite sees it (bool is an int; reject it too)."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidRatingError(score)


def _generation_row(row: Row) -> GenerationRow:
    return GenerationRow(
        id=row["id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        source=row["source"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        user_id=row["user_id"],
        message_id=row["message_id"],
        interaction_id=row["interaction_id"],
        seed=row["seed"],
        params=MappingProxyType(json.loads(row["params_json"])),
        rng_seed=row["rng_seed"],
        model_version=row["model_version"],
        output=row["output"],
        latency_ms=row["latency_ms"],
        status=row["status"],
        error=row["error"],
        parent_id=row["parent_id"],
        kind=row["kind"],
    )


def _export_row(row: Row, param_keys: Sequence[str]) -> dict[str, Any]:
    """Flatten one generation for export: params spread into columns, ratings summarised."""
    flat: dict[str, Any] = {key: row[key] for key in _EXPORTED_COLUMNS}
    params = json.loads(row["params_json"])
    for key in param_keys:
        flat[f"param_{key}"] = params.get(key)
    ratings = sorted(json.loads(row["ratings_json"]), key=lambda r: (r["rated_at"], r["user_id"]))
    scores = [r["score"] for r in ratings]
    flat["rating_count"] = len(scores)
    flat["rating_mean"] = sum(scores) / len(scores) if scores else None
    flat["ratings"] = ratings
    return flat
