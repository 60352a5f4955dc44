"""Storage for lyricbot, in a SQLite file (the default) or PostgreSQL: generations and their
ratings (for /stats and human evaluation), the training corpus and its review, training runs,
and the audit log.

Open one ``Database`` at start-up and pass it to the services that need it; every write goes
through that object and its backend (``backend.py``).
"""

from bot.storage.database import Database
from bot.storage.errors import (
    DuplicateEntryError,
    ForeignDatabaseError,
    InvalidRatingError,
    NotADatabaseError,
    SchemaTooNewError,
    StorageError,
    UnknownEntryError,
    UnknownGenerationError,
    UnknownRunError,
)
from bot.storage.export import ExportFormat, export
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration
from bot.storage.preset_tables import NO_GUILD, PresetRatings, PresetState
from bot.storage.rating_tables import DailyRatings, RatedAnswer, ScoreCount
from bot.storage.records import (
    AuditEntry,
    CorpusEntry,
    CorpusSource,
    CorpusStatus,
    FinishedOutcome,
    GenerationRow,
    GroupStats,
    Kind,
    NewCorpusEntry,
    NewGeneration,
    NewTrainingRun,
    PendingRequest,
    ReviewDecision,
    Source,
    StatsReport,
    Status,
    TrainingOutcome,
    TrainingRun,
    TrainingTrigger,
)
from bot.storage.stats import TEMPERATURE_BANDS, temperature_band

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "NO_GUILD",
    "TEMPERATURE_BANDS",
    "AuditEntry",
    "CorpusEntry",
    "CorpusSource",
    "CorpusStatus",
    "DailyRatings",
    "Database",
    "DuplicateEntryError",
    "ExportFormat",
    "FinishedOutcome",
    "ForeignDatabaseError",
    "GenerationRow",
    "GroupStats",
    "InvalidRatingError",
    "Kind",
    "Migration",
    "NewCorpusEntry",
    "NewGeneration",
    "NewTrainingRun",
    "NotADatabaseError",
    "PendingRequest",
    "PresetRatings",
    "PresetState",
    "RatedAnswer",
    "ReviewDecision",
    "SchemaTooNewError",
    "ScoreCount",
    "Source",
    "StatsReport",
    "Status",
    "StorageError",
    "TrainingOutcome",
    "TrainingRun",
    "TrainingTrigger",
    "UnknownEntryError",
    "UnknownGenerationError",
    "UnknownRunError",
    "export",
    "temperature_band",
]
