"""The cooldown several bot processes share (a sharded bot): every process's requests count
against one user's budget, and two processes racing for the last slot cannot both win."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.storage import Database


async def test_every_process_counts_against_one_budget(db_location: Path | str) -> None:
    async with await Database.open(db_location) as one, await Database.open(db_location) as two:
        assert await one.take_request_slot(7, 2, 10.0, 100.0) == 0
        assert await two.take_request_slot(7, 2, 10.0, 101.0) == 0
        assert await one.take_request_slot(7, 2, 10.0, 102.0) == pytest.approx(8.0)
        assert await two.take_request_slot(8, 2, 10.0, 102.0) == 0  # another user's own
        assert await two.take_request_slot(7, 2, 10.0, 110.5) == 0  # the first one expired
        assert await one.take_request_slot(7, 2, 10.0, 110.6) == pytest.approx(0.4)


async def test_racing_processes_admit_exactly_the_rate(db_location: Path | str) -> None:
    async with await Database.open(db_location) as one, await Database.open(db_location) as two:
        takes = [db.take_request_slot(9, 3, 60.0, 200.0) for db in (one, two) * 5]
        waits = await asyncio.gather(*takes)
        assert sum(wait == 0 for wait in waits) == 3
        assert all(wait == pytest.approx(60.0) for wait in waits if wait)
