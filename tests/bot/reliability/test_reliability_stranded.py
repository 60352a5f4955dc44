"""Requests a crash stranded: everyone whose /lyrics or /song was acknowledged ("thinking…")
before a SIGKILL gets an answer after the restart — the very text they would have got — and
the interaction tokens that made it possible are gone from the database afterwards."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from fakediscord import FakeDiscord
from reliability_support import generation_id_shown, is_lyrics, settled

from bot.storage import Database
from lyriccore.generator import Generator
from lyriccore.sampling import SamplingParams

THINKING = 1 << 7  # Discord's "loading" message flag


async def test_requests_in_flight_at_a_sigkill_are_all_answered_after_the_restart(
    discord: FakeDiscord,
    start_bot,
    slow_model: Path,
    models_dir: Path,
    db: Database,
    eventually,
) -> None:
    shutil.rmtree(models_dir / "starter")
    shutil.copytree(slow_model, models_dir / "starter")  # each answer takes a while
    users = [discord.make_member(f"fan{i}") for i in range(20)]
    async with start_bot(
        LYRICBOT_GENERATION_TIMEOUT="120", LYRICBOT_SERVING_WEIGHTS="fp32"
    ) as process:
        asked = await asyncio.gather(
            *(
                discord.invoke_slash("lyrics", {"seed": f"night {i}", "lines": 16}, user=user)
                for i, user in enumerate(users)
            ),
            discord.invoke_slash("song", {"seed": "we drift", "form": "verse-chorus"}),
        )
        song = asked.pop()

        async def all_acknowledged() -> bool:
            return all(i.messages and i.messages[0].flags & THINKING for i in asked)

        await eventually(all_acknowledged, within=30)
        assert song.messages and song.messages[0].flags & THINKING
        assert not any(is_lyrics(m) for m in discord.messages)  # none answered yet
        await process.kill()
        assert len(await db.pending_requests()) == 21

        await process.start()
        replies = await asyncio.gather(*(i.wait_for_reply(180, _answered) for i in asked))
        sung = await song.wait_for_reply(180, _answered)
        assert "[Chorus]" in sung.content and len(song.messages) == 1
        assert (await db.get_generation(generation_id_shown(sung))).kind == "song"
        assert all(is_lyrics(r) for r in replies), [r.content[:80] for r in replies]
        assert all(len(i.messages) == 1 for i in asked)  # in place of "thinking…"
        rows = [await db.get_generation(generation_id_shown(r)) for r in replies[:3]]
        assert {row.params["weights"] for row in rows} == {"fp32"}  # the weights that wrote it
        generator = Generator.from_path(slow_model, weights="fp32")
        for row in rows:  # the text a request would have got without the crash
            assert row is not None and row.output is not None and row.rng_seed is not None
            served = {"model", "preset", "weights"}
            logged = {k: v for k, v in row.params.items() if k not in served}
            params = SamplingParams(**logged)
            assert generator.generate(row.seed, params).texts[0] == row.output
        generator.close()
    assert await db.pending_requests() == []  # no interaction token is kept...
    assert await db.integrity_check() == "ok"
    assert not any(i.token in process.log_text() for i in asked)  # ...nor logged


def _answered(message) -> bool:
    return settled(message) and not message.flags & THINKING
