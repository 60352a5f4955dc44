"""The nightly retrain: APScheduler runs the same pipeline as /retrain on a cron schedule."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.cron import cron_trigger
from bot.services.errors import UserFacingError
from bot.services.training import RetrainRequest, TrainingService
from bot.settings import Settings

log = logging.getLogger(__name__)
JOB_ID = "nightly-retrain"


class NightlyRetrain:
    def __init__(self, settings: Settings, training: TrainingService) -> None:
        self.training = training
        self.trigger = cron_trigger(settings.nightly_cron, settings.timezone)
        self.scheduler = AsyncIOScheduler(timezone=ZoneInfo(settings.timezone))

    def start(self) -> None:
        """Missed runs (the bot was down) coalesce into one; never two at once."""
        self.scheduler.add_job(
            self.run_once,
            self.trigger,
            id=JOB_ID,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
            replace_existing=True,
        )
        self.scheduler.start()

    async def run_once(self) -> None:
        try:
            run = await self.training.retrain(RetrainRequest(trigger="scheduled"))
        except UserFacingError as exc:
            log.warning("nightly retrain did not run: %s", exc)
            return
        log.info("nightly retrain #%d: %s (%s)", run.id, run.outcome, run.reason)

    def next_run(self) -> datetime | None:
        job = self.scheduler.get_job(JOB_ID) if self.scheduler.running else None
        return job.next_run_time if job is not None else None

    def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
