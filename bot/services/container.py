"""Start-up and shutdown of everything the front ends share, in one `async with`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.services.corpus import CorpusService
from bot.services.engine import EngineService
from bot.services.lyrics import LyricsService
from bot.services.pending import PendingRequests
from bot.services.presets import PresetService
from bot.services.ratings import RatingService
from bot.services.registry import FIRST_MODEL, ModelRegistry
from bot.services.schedule import NightlyRetrain
from bot.services.training import TrainingService
from bot.settings import Settings
from bot.storage import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    engine: EngineService
    lyrics: LyricsService
    pending: PendingRequests
    presets: PresetService
    ratings: RatingService
    corpus: CorpusService
    training: TrainingService
    nightly: NightlyRetrain


@asynccontextmanager
async def open_services(settings: Settings, *, schedule: bool = False) -> AsyncIterator[Services]:
    """Open the database, the engine and (for the bot) the nightly schedule; close them all
    on the way out, whatever happened."""
    db = await Database.open(settings.database)
    engine = EngineService(settings, ModelRegistry(settings.models_dir))
    corpus = CorpusService(db, settings)
    training = TrainingService(settings, db, engine, corpus)
    nightly = NightlyRetrain(settings, training)
    try:
        await training.recover()
        await corpus.ensure_starter()
        if not await engine.start():
            if settings.default_model == FIRST_MODEL:
                training.start_first_model()
            else:
                log.error("default model %r not found in %s", settings.default_model,
                          settings.models_dir)  # fmt: skip
        if schedule:
            nightly.start()
        lyrics = LyricsService(engine, db, settings)
        yield Services(
            settings=settings,
            db=db,
            engine=engine,
            lyrics=lyrics,
            pending=PendingRequests(db, lyrics),
            presets=PresetService(db),
            ratings=RatingService(db, settings.rating_emojis),
            corpus=corpus,
            training=training,
            nightly=nightly,
        )
    finally:
        nightly.close()
        await training.close()
        await engine.close()
        await db.close()
