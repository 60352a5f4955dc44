"""An answer that comes alive: the placeholder shows the lines as they are written, about once
a second, marked "writing…", and then the final answer with its footer and rating buttons —
even when Discord refuses one of the edits on the way."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

from fakediscord import FakeDiscord, FakeInteraction

from bot.settings import DEFAULT_EMOJIS

EDIT = r"^/webhooks/\d+/{token}/messages/@original$"
OPTIONS = {"seed": "we drift", "lines": 8, "syllables": "8", "best_of": 16}  # a few seconds


def _edits(discord: FakeDiscord, interaction: FakeInteraction) -> list[tuple[float, str]]:
    path = f"/webhooks/{discord.app_id}/{interaction.token}/messages/@original"
    return [
        (r.at, str((r.json or {}).get("content", "")))
        for r in discord.requests
        if r.method == "PATCH" and r.path == path and r.status == 200
    ]


def _final(message) -> bool:
    return "Machine-generated" in message.content


async def test_an_answer_streams_line_by_line_then_settles(
    discord: FakeDiscord, start_bot, slow_model: Path, models_dir: Path
) -> None:
    shutil.rmtree(models_dir / "starter")
    shutil.copytree(slow_model, models_dir / "starter")  # slow enough (fp32) to watch it write
    async with start_bot(LYRICBOT_GENERATION_TIMEOUT="120", LYRICBOT_SERVING_WEIGHTS="fp32"):
        interaction = await discord.invoke_slash("lyrics", OPTIONS)
        reply = await interaction.wait_for_reply(120, _final)
        assert await discord.wait_for_reactions(reply, 5) == list(DEFAULT_EMOJIS)
        edits = _edits(discord, interaction)
        streamed, (_, final) = edits[:-1], edits[-1]
        assert len(edits) >= 3, edits  # at least two partial edits, then the answer
        assert all(text.endswith("✍️ writing…") for _, text in streamed)
        assert all(text.startswith("**we drift**") for _, text in edits)
        gaps = [b - a for (a, _), (b, _) in itertools.pairwise(streamed)]
        assert all(gap >= 0.95 for gap in gaps), gaps  # never more than one a second
        grown = [text.count("\n") for _, text in streamed]
        assert grown == sorted(grown) and grown[0] < grown[-1]  # more lines each time
        assert "writing…" not in final and final == reply.content


async def test_a_refused_streaming_edit_never_costs_the_answer(
    discord: FakeDiscord, start_bot, slow_model: Path, models_dir: Path
) -> None:
    shutil.rmtree(models_dir / "starter")
    shutil.copytree(slow_model, models_dir / "starter")
    async with start_bot(LYRICBOT_GENERATION_TIMEOUT="120", LYRICBOT_SERVING_WEIGHTS="fp32"):
        discord.fail_next("PATCH", r"/messages/@original$", 503, times=2)  # not retried
        interaction = await discord.invoke_slash("lyrics", OPTIONS)
        reply = await interaction.wait_for_reply(120, _final)
        assert "writing…" not in reply.content and not reply.ephemeral
        assert await discord.wait_for_reactions(reply, 5) == list(DEFAULT_EMOJIS)
