"""SQLite log of every generation and its ratings, for /stats and for human evaluation.

Open one ``Database`` at start-up and pass it to the services that need it; every write goes
through that object's single connection.
"""

from bot.storage.database import Database
from bot.storage.errors import (
    ForeignDatabaseError,
    InvalidRatingError,
    NotADatabaseError,
    SchemaTooNewError,
    StorageError,
    UnknownGenerationError,
)
from bot.storage.export import ExportFormat, export
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration
from bot.storage.records import (
    GenerationRow,
    GroupStats,
    NewGeneration,
    Source,
    StatsReport,
    Status,
)
from bot.storage.stats import TEMPERATURE_BANDS, temperature_band

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "TEMPERATURE_BANDS",
    "Database",
    "ExportFormat",
    "ForeignDatabaseError",
    "GenerationRow",
    "GroupStats",
    "InvalidRatingError",
    "Migration",
    "NewGeneration",
    "NotADatabaseError",
    "SchemaTooNewError",
    "Source",
    "StatsReport",
    "Status",
    "StorageError",
    "UnknownGenerationError",
    "export",
    "temperature_band",
]
