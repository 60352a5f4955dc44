"""Retraining through the real bot: admin rights, progress, safe promotion, failures, and the
nightly schedule."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from pathlib import Path

from fakediscord import FakeDiscord

from bot.storage import Database

FAST = {"LYRICBOT_RETRAIN_MINUTES": "1", "LYRICBOT_TRAIN_THREADS": "1"}


def _not_thinking(message) -> bool:
    return not message.content.startswith("🛠️ Retraining")


async def _retrain(discord: FakeDiscord, admin, **options):
    interaction = await discord.invoke_slash("retrain", options, user=admin)
    return interaction, await interaction.wait_for_reply(180, _not_thinking)


def model_folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def worker_pids(models_dir: Path) -> list[int]:
    """This bot's training workers (they train under its models folder), found the way an
    operator would (ps); other test runs on the machine have workers of their own."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"bot.training.worker" in cmdline and str(models_dir).encode() in cmdline:
                pids.append(int(entry.name))
    return pids


async def test_non_admins_are_refused_and_audited(discord: FakeDiscord, start_bot, db) -> None:
    async with start_bot():
        for command, options in (("retrain", {}), ("schedule", {}), ("corpus approve", {"id": 1})):
            interaction = await discord.invoke_slash(command, options, check_permissions=False)
            reply = await interaction.wait_for_reply(15)
            assert reply.ephemeral and "Only admins" in reply.content
        audit = await db.audit_entries()
        assert [a.allowed for a in audit] == [False, False, False]
        assert {a.action for a in audit} == {"retrain", "schedule", "corpus approve"}
        assert await db.last_training_run() is None


async def test_admin_retrain_promotes_then_refuses_a_worse_model(
    discord: FakeDiscord, start_bot, db: Database, eventually
) -> None:
    admin = discord.make_admin()
    async with start_bot(**FAST):
        before = await discord.invoke_slash("lyrics", {"seed": "old", "lines": 1})
        old_reply = await before.wait_for_reply(30)
        old_version = (await db.get_generation(1)).model_version
        interaction = await discord.invoke_slash("retrain", {"epochs": 6}, user=admin)
        progress = await interaction.wait_for_reply(120, lambda m: "epoch" in m.content)
        assert "Retraining run #1: epoch" in progress.content and "loss" in progress.content
        # /lyrics keeps answering while the retrain runs
        during = await discord.invoke_slash("lyrics", {"seed": "meanwhile", "lines": 1})
        assert (await during.wait_for_reply(30)).content.startswith("**meanwhile**")
        final = await interaction.wait_for_reply(180, _not_thinking)
        assert "promoted v0001" in final.content, final.content
        after = await discord.invoke_slash("lyrics", {"seed": "new", "lines": 1})
        new_reply = await after.wait_for_reply(30)
        ids = [
            await eventually(lambda r=r: db.generation_for_message(r.id))
            for r in (old_reply, new_reply)
        ]
        rows = [await db.get_generation(i) for i in ids]
        assert rows[0].model_version == old_version
        assert rows[1].model_version.startswith("v0001") and rows[1].model_version != old_version

        _, worse = await _retrain(discord, admin, epochs=1, force=True)
        assert "not promoted" in worse.content and "kept as v0002" in worse.content
        runs = [await db.get_training_run(i) for i in (1, 2)]
        assert [r.outcome for r in runs] == ["promoted", "not_promoted"]
        assert runs[1].metrics["candidate_bpc"] > runs[1].metrics["serving_bpc"]
        last = await discord.invoke_slash("lyrics", {"seed": "still", "lines": 1})
        last_reply = await last.wait_for_reply(30)
        newest = await eventually(lambda: db.generation_for_message(last_reply.id))
        assert (await db.get_generation(newest)).model_version.startswith("v0001")


async def test_a_killed_training_process_leaves_the_old_model_serving(
    discord: FakeDiscord, start_bot, db: Database, models_dir: Path
) -> None:
    admin = discord.make_admin()
    async with start_bot(**FAST):
        interaction = await discord.invoke_slash("retrain", {"epochs": 200}, user=admin)
        await interaction.wait_for_reply(120, lambda m: "epoch" in m.content)
        second = await discord.invoke_slash("retrain", {}, user=admin)
        refused = await second.wait_for_reply(15)
        assert refused.ephemeral and "already running: run #1: epoch" in refused.content
        for pid in worker_pids(models_dir):
            os.kill(pid, signal.SIGKILL)
        final = await interaction.wait_for_reply(60, _not_thinking)
        assert "failed" in final.content
        run = await db.get_training_run(1)
        assert run.outcome == "failed" and "exit status" in run.error
        assert model_folders(models_dir) == ["starter"]
        check = await discord.invoke_slash("lyrics", {"seed": "alive", "lines": 1})
        assert (await check.wait_for_reply(30)).content.startswith("**alive**")


async def test_the_schedule_skips_an_unchanged_corpus_and_trains_a_changed_one(
    discord: FakeDiscord, start_bot, db: Database, eventually, models_dir: Path,
    starter_tiny_model: Path,
) -> None:  # fmt: skip
    shutil.rmtree(models_dir / "starter")
    shutil.copytree(starter_tiny_model, models_dir / "starter")
    admin = discord.make_admin()
    every_two_seconds = {**FAST, "LYRICBOT_NIGHTLY_CRON": "*/2 * * * * *"}
    async with start_bot(**{**every_two_seconds, "LYRICBOT_RETRAIN_MINUTES": "0.05"}):

        async def skipped():
            run = await db.last_training_run(finished_only=True)
            return run if run and run.outcome == "skipped" else None

        run = await eventually(skipped, within=30)
        assert run.trigger == "scheduled" and "unchanged" in run.reason
        schedule = await discord.invoke_slash("schedule", {}, user=admin)
        shown = await schedule.wait_for_reply(15)
        assert "Next nightly retrain" in shown.content and "skipped" in shown.content

        submit = await discord.invoke_slash(
            "corpus submit", {"text": "a brand new verse\nthat nobody sang before"}
        )
        assert "entry #" in (await submit.wait_for_reply(15)).content
        entry_id = (await db.list_corpus_entries("pending"))[0].id
        approve = await discord.invoke_slash("corpus approve", {"id": entry_id}, user=admin)
        assert "approved" in (await approve.wait_for_reply(15)).content

        async def trained():
            run = await db.last_training_run(finished_only=True)
            return run if run and run.outcome in {"promoted", "not_promoted"} else None

        run = await eventually(trained, within=120)
        assert run.trigger == "scheduled"


async def test_a_restart_during_training_leaves_no_half_written_model(
    discord: FakeDiscord, start_bot, db: Database, models_dir: Path
) -> None:
    admin = discord.make_admin()
    async with start_bot(**FAST) as process:
        interaction = await discord.invoke_slash("retrain", {"epochs": 200}, user=admin)
        await interaction.wait_for_reply(120, lambda m: "epoch" in m.content)
        await process.restart()
        await discord.wait_until_identified(30, count=2)
        final = await interaction.wait_for_reply(30, _not_thinking)
        assert "interrupted" in final.content
        assert (await db.get_training_run(1)).outcome == "interrupted"
        assert model_folders(models_dir) == ["starter"]
        assert not worker_pids(models_dir)
        check = await discord.invoke_slash("lyrics", {"seed": "back", "lines": 1})
        assert (await check.wait_for_reply(30)).content.startswith("**back**")


async def test_model_show_and_rollback(
    discord: FakeDiscord, start_bot, db: Database, eventually, models_dir: Path, char_model
) -> None:
    shutil.copytree(char_model, models_dir / "v0001-earlier")
    admin = discord.make_admin()
    async with start_bot():
        shown = await discord.invoke_slash("model show", {})
        reply = await shown.wait_for_reply(30)
        assert "Serving starter" in reply.content and "epochs trained" in reply.content
        assert reply.attachments[0].data.startswith(b"\x89PNG")
        forged = await discord.invoke_slash(
            "model rollback", {"version": "v0001-earlier"}, check_permissions=False
        )
        assert "Only admins" in (await forged.wait_for_reply(15)).content
        rollback = await discord.invoke_slash(
            "model rollback", {"version": "v0001-earlier"}, user=admin
        )
        assert "Now serving v0001-earlier" in (await rollback.wait_for_reply(30)).content
        lyrics = await discord.invoke_slash("lyrics", {"seed": "rolled", "lines": 1})
        answer = await lyrics.wait_for_reply(30)
        row_id = await eventually(lambda: db.generation_for_message(answer.id))
        assert (await db.get_generation(row_id)).model_version.startswith("v0001-earlier:")


def rank_count(models_dir: Path) -> int:
    """Training processes of this bot that torchrun started as ranks (LOCAL_RANK set)."""
    ranks = 0
    for pid in worker_pids(models_dir):
        with contextlib.suppress(OSError):
            ranks += b"LOCAL_RANK=" in Path(f"/proc/{pid}/environ").read_bytes()
    return ranks


async def test_retrain_on_two_ranks_promotes_and_stops_with_the_bot(
    discord: FakeDiscord, start_bot, db: Database, models_dir: Path
) -> None:
    admin = discord.make_admin()
    async with start_bot(**FAST, LYRICBOT_TRAIN_NPROC="2") as process:
        interaction = await discord.invoke_slash("retrain", {"epochs": 2}, user=admin)
        progress = await interaction.wait_for_reply(120, lambda m: "epoch" in m.content)
        assert "Retraining run #1: epoch" in progress.content
        ranks = rank_count(models_dir)  # read while the run is still on its second epoch
        final = await interaction.wait_for_reply(180, _not_thinking)
        assert "promoted v0001" in final.content, final.content
        assert ranks == 2
        run = await db.get_training_run(1)
        assert run.outcome == "promoted" and run.metrics["epochs_run"] == 2

        long = await discord.invoke_slash("retrain", {"epochs": 200, "force": True}, user=admin)
        await long.wait_for_reply(120, lambda m: "epoch" in m.content)
        await process.restart()  # SIGTERM: torchrun takes both ranks down with it
        await discord.wait_until_identified(30, count=2)
        assert "interrupted" in (await long.wait_for_reply(30, _not_thinking)).content
        assert (await db.get_training_run(2)).outcome == "interrupted"
        assert [name[:5] for name in model_folders(models_dir)] == ["start", "v0001"]
        assert not worker_pids(models_dir)
