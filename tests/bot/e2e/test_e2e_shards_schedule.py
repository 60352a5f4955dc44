"""The nightly retrain and the serving model with two sharded bot processes on one PostgreSQL:
each firing of the schedule runs in exactly one process, and a model one process is told to
serve is what the other serves next, without a restart."""

from __future__ import annotations

import itertools
import re
import shutil
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

from shards_support import settled, start_both, two_shards

from bot.storage import Database, NewCorpusEntry, TrainingRun
from lyriccore.corpus import document_sha256, normalise

EVERY_TWO_SECONDS = "*/2 * * * * *"


async def _runs(db: Database) -> list[TrainingRun]:
    last = await db.last_training_run()
    found = [await db.get_training_run(i) for i in range(1, last.id + 1)] if last else []
    return [run for run in found if run is not None]


def _assert_one_run_per_firing(runs: list[TrainingRun]) -> None:
    """Both processes fire every two seconds; a firing that ran in both would leave two rows
    started within the same second."""
    starts = sorted(run.started_at for run in runs if run.trigger == "scheduled")
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= timedelta(seconds=1) for gap in gaps), starts


async def test_each_night_runs_once_and_a_new_serving_model_reaches_both_processes(
    tmp_path: Path, models_dir: Path, starter_tiny_model: Path, postgres_url: str, eventually
) -> None:
    shutil.rmtree(models_dir / "starter")  # trained on the approved corpus: nothing to retrain
    shutil.copytree(starter_tiny_model, models_dir / "starter")
    async with two_shards() as fake, AsyncExitStack() as stack:
        env = {
            "LYRICBOT_DATABASE_URL": postgres_url,
            "LYRICBOT_MODELS": str(models_dir),
            "LYRICBOT_COOLDOWN_RATE": "0",
            "LYRICBOT_NIGHTLY_CRON": EVERY_TWO_SECONDS,
            "LYRICBOT_RETRAIN_MINUTES": "0.05",
            "LYRICBOT_TRAIN_THREADS": "1",
            "LYRICBOT_SERVING_POLL_SECONDS": "1",
        }
        await start_both(fake, stack, env, tmp_path, eventually)
        async with await Database.open(postgres_url) as db:

            async def three_nights() -> list[TrainingRun] | None:
                runs = [r for r in await _runs(db) if r.trigger == "scheduled"]
                return runs if len(runs) >= 3 else None

            nights = await eventually(three_nights, within=60)
            assert all(run.outcome == "skipped" for run in nights)  # the corpus is unchanged
            _assert_one_run_per_firing(nights)

            song = "a brand new verse\nthat nobody sang before\n"
            await db.add_corpus_entry(  # an operator's import, approved
                NewCorpusEntry(sha256=document_sha256(normalise(song)), text=normalise(song),
                               source="import", status="approved")
            )  # fmt: skip

            async def trained() -> TrainingRun | None:
                runs = [r for r in await _runs(db) if r.outcome != "skipped"]
                return runs[0] if runs and runs[0].ended_at else None

            run = await eventually(trained, within=150)
            assert run.trigger == "scheduled" and run.outcome in {"promoted", "not_promoted"}
            _assert_one_run_per_firing(await _runs(db))  # the training night too

            # What one process is told to serve, the other serves next, without a restart.
            shutil.copytree(starter_tiny_model, models_dir / "v0100-earlier")
            zero_guild, one_guild = fake.guild_ids
            admin = fake.make_admin(guild_id=zero_guild)
            channel = next(iter(fake.state.guilds[zero_guild].channels))
            rollback = await fake.invoke_slash(
                "model rollback", {"version": "v0100-earlier"}, user=admin, channel_id=channel
            )
            assert "Now serving v0100-earlier" in (await rollback.wait_for_reply(30)).content
            guild = fake.state.guilds[one_guild]

            async def other_serves_it() -> bool:
                asked = await fake.invoke_slash(
                    "lyrics", {"seed": "we drift", "lines": 1},
                    user=fake.make_member(f"fan-{len(fake.messages)}", guild_id=one_guild),
                    channel_id=next(iter(guild.channels)),
                )  # fmt: skip
                reply = await asked.wait_for_reply(30, settled)
                return re.search(r"model v0100-earlier", reply.content) is not None

            await eventually(other_serves_it, within=30)
