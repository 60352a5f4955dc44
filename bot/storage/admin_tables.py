"""SQL text and row conversion for migration 2's tables: corpus, training runs, audit log.

Kept apart from ``database.py`` so that file stays about the connection and the generation
log. ``Database``'s methods for these tables are thin: they run the statements below through
its single write path and turn rows into records with the functions below.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from bot.storage.backend import Row
from bot.storage.records import (
    AuditEntry,
    CorpusEntry,
    NewCorpusEntry,
    NewTrainingRun,
    TrainingRun,
    to_utc_text,
    utc_now_text,
)

CORPUS_COLUMNS = (
    "id, sha256, text, chars, source, title, licence, submitted_by, submitted_at, status, "
    "reviewed_by, reviewed_at, review_reason, style"
)

INSERT_CORPUS_ENTRY = """
INSERT INTO corpus_entries (
    sha256, text, chars, source, title, licence, submitted_by, submitted_at, status, style
) VALUES (
    :sha256, :text, :chars, :source, :title, :licence, :submitted_by, :submitted_at, :status,
    :style
)
"""

LABEL_UNSTYLED_ENTRY = """
UPDATE corpus_entries SET style = :style WHERE sha256 = :sha256 AND style IS NULL
"""

APPROVED_CORPUS_ENTRIES = f"""
SELECT {CORPUS_COLUMNS} FROM corpus_entries WHERE status = 'approved' ORDER BY id
"""

CORPUS_COUNTS = "SELECT status, COUNT(*) AS n FROM corpus_entries GROUP BY status"

REVIEW_CORPUS_ENTRY = """
UPDATE corpus_entries
SET status = :status, reviewed_by = :reviewed_by, reviewed_at = :reviewed_at,
    review_reason = :review_reason
WHERE id = :id
"""

# Two queries rather than "(:status IS NULL OR status = :status)", which would stop SQLite
# using the (status, id) index for the review queue.
LIST_CORPUS_ENTRIES = f"""
SELECT {CORPUS_COLUMNS} FROM corpus_entries ORDER BY id DESC LIMIT :limit OFFSET :offset
"""

LIST_CORPUS_ENTRIES_WITH_STATUS = f"""
SELECT {CORPUS_COLUMNS} FROM corpus_entries WHERE status = :status
ORDER BY id DESC LIMIT :limit OFFSET :offset
"""

RUN_COLUMNS = (
    "id, trigger, requested_by, started_at, ended_at, level, params_json, corpus_fingerprint, "
    "metrics_json, outcome, reason, model_version, error"
)

INSERT_TRAINING_RUN = """
INSERT INTO training_runs (
    trigger, requested_by, started_at, level, params_json, corpus_fingerprint, outcome
) VALUES (
    :trigger, :requested_by, :started_at, :level, :params_json, :corpus_fingerprint, 'running'
)
"""

# A fingerprint given at start is kept when the finishing call passes none.
FINISH_TRAINING_RUN = """
UPDATE training_runs
SET outcome = :outcome, ended_at = :ended_at, reason = :reason, metrics_json = :metrics_json,
    model_version = :model_version, error = :error,
    corpus_fingerprint = COALESCE(:corpus_fingerprint, corpus_fingerprint)
WHERE id = :id
"""

# ended_at stays NULL: when a crashed run really stopped is unknown, and start-up time would
# make its duration look longer than it was.
MARK_INTERRUPTED_RUNS = """
UPDATE training_runs SET outcome = 'interrupted', reason = ? WHERE outcome = 'running'
"""

RUNNING_TRAINING_RUNS = f"""
SELECT {RUN_COLUMNS} FROM training_runs WHERE outcome = 'running' ORDER BY started_at, id
"""

LAST_TRAINING_RUN = f"""
SELECT {RUN_COLUMNS} FROM training_runs
WHERE NOT :finished_only OR outcome != 'running'
ORDER BY started_at DESC, id DESC
LIMIT 1
"""

AUDIT_COLUMNS = "id, at, user_id, guild_id, action, allowed, detail"

INSERT_AUDIT_ENTRY = """
INSERT INTO audit_log (at, user_id, guild_id, action, allowed, detail)
VALUES (:at, :user_id, :guild_id, :action, :allowed, :detail)
"""

LATEST_AUDIT_ENTRIES = f"""
SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY at DESC, id DESC LIMIT ?
"""


def json_object_text(name: str, value: Mapping[str, Any]) -> str:
    """Serialise params or metrics; ``ValueError``/``TypeError`` if not plain JSON (NaN is not)."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{name} must be a mapping with string keys")
    return json.dumps(dict(value), sort_keys=True, allow_nan=False)


def corpus_values(new: NewCorpusEntry) -> dict[str, Any]:
    """Parameters for ``INSERT_CORPUS_ENTRY``; ``chars`` is counted here, not by the caller."""
    submitted = new.submitted_at
    return {
        "sha256": new.sha256,
        "text": new.text,
        "chars": len(new.text),
        "source": new.source,
        "title": new.title,
        "licence": new.licence,
        "submitted_by": new.submitted_by,
        "submitted_at": to_utc_text(submitted) if submitted else utc_now_text(),
        "status": new.status,
        "style": new.style,
    }


def run_values(new: NewTrainingRun) -> dict[str, Any]:
    """Parameters for ``INSERT_TRAINING_RUN``."""
    started = new.started_at
    return {
        "trigger": new.trigger,
        "requested_by": new.requested_by,
        "started_at": to_utc_text(started) if started else utc_now_text(),
        "level": new.level,
        "params_json": json_object_text("params", new.params),
        "corpus_fingerprint": new.corpus_fingerprint,
    }


def corpus_entry(row: Row) -> CorpusEntry:
    return CorpusEntry(
        id=row["id"],
        sha256=row["sha256"],
        text=row["text"],
        chars=row["chars"],
        source=row["source"],
        title=row["title"],
        licence=row["licence"],
        submitted_by=row["submitted_by"],
        submitted_at=datetime.fromisoformat(row["submitted_at"]),
        status=row["status"],
        reviewed_by=row["reviewed_by"],
        reviewed_at=_optional_time(row["reviewed_at"]),
        review_reason=row["review_reason"],
        style=row["style"],
    )


def training_run(row: Row) -> TrainingRun:
    metrics = row["metrics_json"]
    return TrainingRun(
        id=row["id"],
        trigger=row["trigger"],
        requested_by=row["requested_by"],
        started_at=datetime.fromisoformat(row["started_at"]),
        ended_at=_optional_time(row["ended_at"]),
        level=row["level"],
        params=MappingProxyType(json.loads(row["params_json"])),
        corpus_fingerprint=row["corpus_fingerprint"],
        metrics=MappingProxyType(json.loads(metrics)) if metrics is not None else None,
        outcome=row["outcome"],
        reason=row["reason"],
        model_version=row["model_version"],
        error=row["error"],
    )


def audit_entry(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=datetime.fromisoformat(row["at"]),
        user_id=row["user_id"],
        guild_id=row["guild_id"],
        action=row["action"],
        allowed=bool(row["allowed"]),
        detail=row["detail"],
    )


def _optional_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None
