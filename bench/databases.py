"""/lyrics through the bot's services on SQLite against PostgreSQL, at 16 and 64 users.

Each user asks for 8 lines and rates the answer, `rounds` times back to back: one logged
generation and one rating (a three-statement transaction) per request, as the bot writes
them. The PostgreSQL server is the test harness's (Debian's package, started with pg_ctl in
a temporary folder, durability as configured there: fsync off), on this machine, so the
figures compare the storage paths and not a network; the same model, seeds and engine serve
both.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import Context, median
from bench.concurrency import LINES, models_folder, users_asking
from bot.services.container import Services, open_services
from bot.services.lyrics import LyricsRequest
from bot.settings import Settings
from bot.storage import NewGeneration

log = logging.getLogger(__name__)
USERS = (16, 64)


async def _on(services: Services, rounds: int) -> dict[str, Any]:
    async def lyrics(user: int, n: int) -> int:
        request = LyricsRequest(seed=f"song {user} verse {n}", lines=LINES, user_id=user)
        answer = await services.lyrics.write(services.lyrics.admit(request))
        await services.ratings.rate(answer.generation_id, user, 1 + (user + n) % 5)
        return len(answer.result.continuations[0])

    figures: dict[str, Any] = {}
    for users in USERS:
        log.info("databases: %s, %d users", services.db.dialect, users)
        started = time.perf_counter()
        row = await users_asking(users, rounds, lyrics)
        row["requests_per_s"] = row["requests"] / (time.perf_counter() - started)
        figures[str(users)] = row
    write_ms = []
    for _ in range(200):  # the storage path alone: one generation logged and rated
        began = time.perf_counter()
        generation = await services.db.record_generation(_generation())
        await services.db.add_reaction_rating(generation, 1, 4)
        write_ms.append(1000 * (time.perf_counter() - began))
    figures["log_and_rate_ms_p50"] = median(write_ms)
    return figures


def _generation() -> NewGeneration:
    return NewGeneration(source="console", seed="bench", params={}, model_version="starter",
                         status="ok", output="x")  # fmt: skip


def _settings(ctx: Context, char_model: Path, url: str) -> Settings:
    return Settings(
        token="bench-token-not-real",
        db_path=ctx.work_dir / "databases-bench.db",
        database_url=url,
        models_dir=models_folder(ctx.work_dir, char_model),
        cooldown_rate=0,
        workers=max(USERS),
        queue_size=max(USERS) * 2,
    )


async def databases(ctx: Context, char_model: Path, threads: int) -> dict[str, Any]:
    from tests.pgserver import running_server

    rounds = max(1, ctx.sizes.latency_rounds // 2)
    report: dict[str, Any] = {"rounds_per_user": rounds, "lines": LINES}
    with running_server() as server:
        admin = await asyncpg.connect(server.url())
        await admin.execute("CREATE DATABASE bench")
        await admin.close()
        for name, url in (("sqlite", ""), ("postgres", server.url("bench"))):
            async with open_services(_settings(ctx, char_model, url)) as services:
                await services.engine.start()
                report[name] = await _on(services, rounds)
    for users in map(str, USERS):
        lite, pg = report["sqlite"][users], report["postgres"][users]
        report[f"postgres_vs_sqlite_{users}"] = {
            "p50": pg["p50_ms"] / lite["p50_ms"],
            "p95": pg["p95_ms"] / lite["p95_ms"],
            "requests_per_s": pg["requests_per_s"] / lite["requests_per_s"],
        }
    report["postgres_vs_sqlite_log_and_rate"] = (
        report["postgres"]["log_and_rate_ms_p50"] / report["sqlite"]["log_and_rate_ms_p50"]
    )
    return report
