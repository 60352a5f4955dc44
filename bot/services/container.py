"""Start-up and shutdown of everything the front ends share, in one `async with`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.services.engine import EngineService
from bot.services.lyrics import LyricsService
from bot.services.ratings import RatingService
from bot.services.registry import ModelRegistry
from bot.settings import Settings
from bot.storage import Database


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    engine: EngineService
    lyrics: LyricsService
    ratings: RatingService


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Open the database and the engine; close both on the way out, whatever happened."""
    db = await Database.open(settings.db_path)
    engine = EngineService(settings, ModelRegistry(settings.models_dir))
    try:
        await engine.start()
        yield Services(
            settings=settings,
            db=db,
            engine=engine,
            lyrics=LyricsService(engine, db, settings),
            ratings=RatingService(db, settings.rating_emojis),
        )
    finally:
        await engine.close()
        await db.close()
