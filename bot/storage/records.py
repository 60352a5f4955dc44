"""Typed records passed in and out of the database.

Services build and read these instead of tuples or ``sqlite3.Row`` so that a column rename is a
type error in one place, not a ``KeyError`` at runtime in a handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal, get_args

Source = Literal["discord", "console"]
Status = Literal["ok", "error", "timeout", "cancelled"]
Kind = Literal["lyrics", "take", "continue", "edit", "song"]
CorpusSource = Literal["submission", "import", "starter"]
CorpusStatus = Literal["pending", "approved", "rejected"]
ReviewDecision = Literal["approved", "rejected"]
TrainingTrigger = Literal["manual", "scheduled", "starter"]
FinishedOutcome = Literal["promoted", "not_promoted", "skipped", "failed", "interrupted"]
TrainingOutcome = Literal["running", "promoted", "not_promoted", "skipped", "failed", "interrupted"]

SOURCES: frozenset[str] = frozenset(get_args(Source))
STATUSES: frozenset[str] = frozenset(get_args(Status))
KINDS: frozenset[str] = frozenset(get_args(Kind))
CORPUS_SOURCES: frozenset[str] = frozenset(get_args(CorpusSource))
CORPUS_STATUSES: frozenset[str] = frozenset(get_args(CorpusStatus))
REVIEW_DECISIONS: frozenset[str] = frozenset(get_args(ReviewDecision))
TRAINING_TRIGGERS: frozenset[str] = frozenset(get_args(TrainingTrigger))
FINISHED_OUTCOMES: frozenset[str] = frozenset(get_args(FinishedOutcome))
TRAINING_OUTCOMES: frozenset[str] = frozenset(get_args(TrainingOutcome))

_SHA256_HEX = frozenset("0123456789abcdef")


def to_utc_text(moment: datetime) -> str:
    """Format a moment as fixed-width UTC ISO text, so text order is time order in SQL."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware; naive times are ambiguous")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def utc_now_text() -> str:
    """The current moment in the stored timestamp format."""
    return to_utc_text(datetime.now(UTC))


def check_choice(name: str, value: object, allowed: frozenset[str]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of an enumeration's ``allowed`` strings."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")


def frozen_params(name: str, value: object) -> Mapping[str, Any]:
    """A read-only copy of a mapping with string keys, so later changes by the caller don't leak."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{name} must be a mapping with string keys")
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class NewGeneration:
    """Everything logged about one generation, built by the service once the answer is known.

    ``params`` holds every sampling parameter (temperature, top_k, max_tokens, …) so a rating
    can later be tied to the exact settings; it is copied and frozen so that a caller mutating
    its dict afterwards cannot change what gets logged. ``created_at`` defaults to the moment
    of insertion; pass the request time when the generation took long enough to matter.
    """

    source: Source
    seed: str
    params: Mapping[str, Any]
    model_version: str
    status: Status
    output: str | None = None
    latency_ms: float | None = None
    rng_seed: int | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    interaction_id: int | None = None
    error: str | None = None
    created_at: datetime | None = None
    parent_id: int | None = None
    kind: Kind = "lyrics"

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {sorted(SOURCES)}, got {self.source!r}")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}, got {self.status!r}")
        if not isinstance(self.params, Mapping) or not all(isinstance(k, str) for k in self.params):
            raise ValueError("params must be a mapping with string keys")
        if self.created_at is not None and self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationRow:
    """One logged generation as stored, including the Discord message it was posted as."""

    id: int
    created_at: datetime
    source: Source
    guild_id: int | None
    channel_id: int | None
    user_id: int | None
    message_id: int | None
    interaction_id: int | None
    seed: str
    params: Mapping[str, Any]
    rng_seed: int | None
    model_version: str
    output: str | None
    latency_ms: float | None
    status: Status
    error: str | None
    parent_id: int | None = None
    kind: Kind = "lyrics"


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingRequest:
    """A request acknowledged to Discord and not answered yet, with what answering it takes.

    ``created_at`` is when Discord created the interaction: its ``token`` (a secret, kept out
    of ``repr`` so it never reaches a log) lets the bot edit ``message_id``, the "thinking…"
    placeholder, for 15 minutes from then. ``request`` holds the request's fields, its RNG
    seed fixed, so writing it again gives the same text.
    """

    interaction_id: int
    created_at: datetime
    application_id: int
    token: str = field(repr=False)
    message_id: int | None  # None if the crash came before Discord named the placeholder
    request: Mapping[str, Any]

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        object.__setattr__(self, "request", frozen_params("request", self.request))


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Counts for one slice of the log (a model version or a temperature band).

    ``mean_rating`` averages individual ratings, so a generation rated by five people weighs
    five times one rated by one person; it is ``None`` when the slice has no ratings.
    """

    key: str
    generations: int
    ratings: int
    mean_rating: float | None


@dataclass(frozen=True, slots=True)
class StatsReport:
    """Summary for ``/stats``: comparing model versions, sampling temperatures, rhyme schemes
    ("free" for none), word modes ("off" for generations logged before there were any), what
    asked for each answer (/lyrics, or a button under an earlier one) and styles."""

    guild_id: int | None
    total_generations: int
    total_ratings: int
    mean_rating: float | None
    by_model_version: tuple[GroupStats, ...]
    by_temperature_band: tuple[GroupStats, ...]
    by_scheme: tuple[GroupStats, ...] = ()
    by_words: tuple[GroupStats, ...] = ()
    by_kind: tuple[GroupStats, ...] = ()  # answers, takes, continuations, reworks
    by_style: tuple[GroupStats, ...] = ()  # "any" for answers that asked for none


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCorpusEntry:
    """A lyric text offered to the training corpus, as a submission, an import or a starter.

    ``sha256`` is the lowercase hex digest of the normalised text, computed by the caller so
    that the rule for "the same text" lives with the normalisation; the database refuses a
    second entry with the same digest. Submissions start ``pending``; imports and starter
    texts that need no review may be added as ``approved`` directly.
    """

    sha256: str
    text: str
    source: CorpusSource
    title: str | None = None
    licence: str | None = None
    submitted_by: int | None = None
    status: CorpusStatus = "pending"
    submitted_at: datetime | None = None
    style: str | None = None  # normalised by the caller (lyriccore.styles.normalise_style)

    def __post_init__(self) -> None:
        if len(self.sha256) != 64 or not set(self.sha256) <= _SHA256_HEX:
            raise ValueError(f"sha256 must be 64 lowercase hex digits, got {self.sha256!r}")
        if not self.text.strip():
            raise ValueError("text must not be empty")
        check_choice("source", self.source, CORPUS_SOURCES)
        check_choice("status", self.status, CORPUS_STATUSES)
        if self.submitted_at is not None and self.submitted_at.tzinfo is None:
            raise ValueError("submitted_at must be timezone-aware")


@dataclass(frozen=True, slots=True, kw_only=True)
class CorpusEntry:
    """One corpus entry as stored; ``reviewed_*`` stay None until someone reviews it."""

    id: int
    sha256: str
    text: str
    chars: int
    source: CorpusSource
    title: str | None
    licence: str | None
    submitted_by: int | None
    submitted_at: datetime
    status: CorpusStatus
    reviewed_by: int | None
    reviewed_at: datetime | None
    review_reason: str | None
    style: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewTrainingRun:
    """A training run about to start. ``params`` is copied and frozen, as for generations.

    ``level`` names the training preset (say "quick" or "full"); ``corpus_fingerprint`` may
    be given now or, when it is only known once the corpus is read, when the run finishes.
    """

    trigger: TrainingTrigger
    level: str
    params: Mapping[str, Any]
    requested_by: int | None = None
    corpus_fingerprint: str | None = None
    started_at: datetime | None = None

    def __post_init__(self) -> None:
        check_choice("trigger", self.trigger, TRAINING_TRIGGERS)
        if not self.level.strip():
            raise ValueError("level must not be empty")
        if self.started_at is not None and self.started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware")
        object.__setattr__(self, "params", frozen_params("params", self.params))


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingRun:
    """One training run as stored; ``ended_at`` is None while it runs (and if interrupted).

    ``reason`` is a sentence for people (why it was skipped, not promoted or failed);
    ``error`` is the technical failure, for the log and for operators.
    """

    id: int
    trigger: TrainingTrigger
    requested_by: int | None
    started_at: datetime
    ended_at: datetime | None
    level: str
    params: Mapping[str, Any]
    corpus_fingerprint: str | None
    metrics: Mapping[str, Any] | None
    outcome: TrainingOutcome
    reason: str | None
    model_version: str | None
    error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One privileged action attempted (``allowed``) or refused, by whom and where."""

    id: int
    at: datetime
    user_id: int | None
    guild_id: int | None
    action: str
    allowed: bool
    detail: str | None
