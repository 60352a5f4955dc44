"""First start on an empty models folder, as in Docker or under systemd: the bot trains its
first model itself, says "warming up" meanwhile, and serves only the finished model — without
a restart, and even when it is killed half way through training."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

from fakediscord import BotProcess, FakeDiscord
from reliability_support import is_lyrics

from bot.storage import Database
from lyriccore.checkpoint import BEST, LAST, model_version, read_checkpoint
from lyriccore.staging import staging_for

MODEL_SHOWN = r" · model (\S+) · #"


def _trainers(staging: Path) -> list[int]:
    """Pids of live training workers writing into `staging` (zombies are dead already)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if "bot.training.worker" in cmdline and str(staging) in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def _model_shown(content: str) -> str:
    match = re.search(MODEL_SHOWN, content)
    assert match, content
    return match.group(1)


async def _ask_while_warming_up(ask) -> None:
    _, reply = await ask({"seed": "too early", "lines": 1})
    assert reply.ephemeral and "Warming up" in reply.content, reply.content
    assert "to go" in reply.content  # with the time left


async def test_first_start_says_warming_up_then_serves_the_finished_model_without_a_restart(
    discord: FakeDiscord, start_bot, ask, tmp_path: Path, eventually
) -> None:
    models = tmp_path / "empty-models"
    settings = {"LYRICBOT_MODELS": str(models), "LYRICBOT_STARTER_MINUTES": "0.1"}
    async with start_bot(**settings) as process:
        await _ask_while_warming_up(ask)
        assert not (models / "starter").exists()  # nothing half-trained is servable
        await process.wait_for_log(r"first model: promoted starter", timeout=180)
        _, reply = await ask({"seed": "we drift", "lines": 2})
        assert is_lyrics(reply), reply.content
        assert _model_shown(reply.content) == model_version(models / "starter" / BEST)
        assert process.starts == 1
        assert not staging_for(models / "starter").exists()


async def test_a_sigkill_during_first_start_training_leaves_no_trainer_and_is_resumed(
    discord: FakeDiscord, start_bot, ask, tmp_path: Path, bot_env: dict[str, str], eventually
) -> None:
    models = tmp_path / "empty-models"
    staging = staging_for(models / "starter")
    settings = {"LYRICBOT_MODELS": str(models), "LYRICBOT_STARTER_MINUTES": "0.4"}
    async with start_bot(**settings) as process:
        checkpoint = staging / "model" / LAST
        await eventually(lambda: _exists(checkpoint), within=120)  # an epoch is done
        assert _trainers(staging)
        history_at_kill = read_checkpoint(checkpoint)["metrics"]
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)  # the bot alone, as the OOM killer would
        await process.wait(10)
        await eventually(lambda: _none_left(staging), within=5)
        assert not (models / "starter").exists()

        await _restart(discord, process)
        await _ask_while_warming_up(ask)
        await process.wait_for_log(r"first model: promoted starter", timeout=180)
        _, reply = await ask({"seed": "we drift", "lines": 2})
        assert is_lyrics(reply), reply.content
        served = models / "starter" / BEST
        assert _model_shown(reply.content) == model_version(served)
        history = read_checkpoint(served)["metrics"]
        assert len(history) > len(history_at_kill)  # trained on from where it was killed...
        assert history[: len(history_at_kill)] == history_at_kill  # ...not from scratch
    async with await Database.open(Path(bot_env["LYRICBOT_DB"])) as db:
        killed, resumed = await db.get_training_run(1), await db.get_training_run(2)
    assert killed is not None and killed.trigger == "starter"
    assert killed.outcome == "interrupted"
    assert resumed is not None and resumed.outcome == "promoted"


async def _exists(path: Path) -> bool:
    return await asyncio.to_thread(path.exists)


async def _none_left(staging: Path) -> bool:
    return not _trainers(staging)


async def _restart(discord: FakeDiscord, process: BotProcess) -> None:
    await process.start()
    await discord.wait_until_synced(60, count=2)
    await discord.wait_until_identified(60, count=2)
