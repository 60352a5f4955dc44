"""The nightly retrain: APScheduler runs the same pipeline as /retrain on a cron schedule.

Every bot process schedules it, and exactly one runs it: the job takes a lock held across the
processes of one database (``bot.storage.locks``), and under it skips a night another process
has already recorded a scheduled run for. A process that dies mid-run lets the lock go.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.cron import cron_trigger
from bot.services.errors import UserFacingError
from bot.services.training import RetrainRequest, TrainingService
from bot.settings import Settings
from bot.storage.locks import try_lock

log = logging.getLogger(__name__)
JOB_ID = "nightly-retrain"
LOCK = "nightly-retrain"
SAME_FIRING = timedelta(hours=1)
"""A scheduled run started this recently belongs to this firing (the misfire grace is an
hour too), or within half the time to the next firing on a schedule tighter than that."""


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
        async with try_lock(self.training.db.backend, LOCK) as mine:
            if not mine:
                log.info("nightly retrain: another process is running it")
            elif await self._ran_this_firing():
                log.info("nightly retrain: another process already ran this one")
            else:
                await self._retrain()

    async def _ran_this_firing(self) -> bool:
        last = await self.training.db.last_training_run()
        now = datetime.now(UTC)
        upcoming = self.next_run()  # already moved on to the next firing when this one runs
        window = SAME_FIRING if upcoming is None else min(SAME_FIRING, (upcoming - now) / 2)
        return last is not None and last.trigger == "scheduled" and last.started_at > now - window

    async def _retrain(self) -> None:
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
