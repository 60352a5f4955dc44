"""Cron expressions for the nightly job: five fields as in crontab, or six with seconds first
(handy for trying a schedule, and for tests)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    fields = expression.split()
    zone = ZoneInfo(timezone)
    if len(fields) == 5:
        return CronTrigger.from_crontab(expression, timezone=zone)
    if len(fields) == 6:
        second, minute, hour, day, month, weekday = fields
        return CronTrigger(
            second=second, minute=minute, hour=hour, day=day, month=month,
            day_of_week=weekday, timezone=zone,
        )  # fmt: skip
    raise ValueError("needs 5 fields (minute hour day month weekday), or 6 with seconds first")
