"""SIGKILL in the middle of a busy evening: the database survives, every answer people saw is
in the log, and ratings on old answers still count after the restart."""

from __future__ import annotations

import asyncio
import contextlib

from fakediscord import BotProcess, FakeDiscord, MessageRecord
from reliability_support import generation_id_shown, is_lyrics, settled

from bot.settings import DEFAULT_EMOJIS
from bot.storage import Database

FIVE = DEFAULT_EMOJIS[4]
EDIT_ANSWER = r"^/webhooks/\d+/[^/]+/messages/@original$"


async def _restart_after_kill(discord: FakeDiscord, process: BotProcess) -> None:
    assert not process.running
    await process.start()
    await discord.wait_until_synced(60, count=2)
    await discord.wait_until_identified(60, count=2)


async def _shown_answers_are_logged(db: Database, answers: list[MessageRecord]) -> None:
    """The row is written before the answer is shown, so each shown number is a real row."""
    for answer in answers:
        row = await db.get_generation(generation_id_shown(answer))
        assert row is not None and row.status == "ok", answer.content
        assert row.interaction_id == answer.interaction_id


async def test_a_sigkill_mid_load_loses_no_shown_answer_and_old_ratings_still_count(
    discord: FakeDiscord, start_bot, ask, db, eventually
) -> None:
    users = [discord.make_member(f"fan{i}") for i in range(20)]
    async with start_bot(LYRICBOT_QUEUE_SIZE="32") as process:

        async def sing(index: int) -> None:
            for n in range(10):  # 20 users x 10 requests: 200 in all, if it lived
                await ask({"seed": f"night {index} {n}", "lines": 2}, user=users[index])

        load = [asyncio.create_task(sing(i)) for i in range(len(users))]

        async def a_third_answered() -> bool:
            return sum(is_lyrics(m) for m in discord.messages) >= 60

        await eventually(a_third_answered, within=120)
        await process.kill()
        for task in load:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*load)
        await asyncio.sleep(0.5)  # let the fake finish requests that arrived before the kill
        shown = [m for m in discord.messages if is_lyrics(m)]
        rated = [m for m in shown if len(discord.reactions(m)) == len(DEFAULT_EMOJIS)]
        assert len(shown) >= 60 and rated, (len(shown), len(rated))

        assert await db.integrity_check() == "ok"
        await _shown_answers_are_logged(db, shown)
        for answer in rated:  # fully decorated, so its message id was recorded first
            assert await db.generation_for_message(answer.id) == generation_id_shown(answer)

        await _restart_after_kill(discord, process)
        old = rated[0]
        fan = discord.make_member("late fan")
        await discord.add_reaction(old, fan, FIVE)
        generation_id = generation_id_shown(old)
        assert await eventually(lambda: db.ratings_for(generation_id), within=30) == {fan.id: 5}
        _, fresh = await ask({"seed": "morning after", "lines": 1})
        assert is_lyrics(fresh) and generation_id_shown(fresh) > max(
            generation_id_shown(m) for m in shown
        )
        assert await db.integrity_check() == "ok"


async def test_an_answer_shown_just_before_a_crash_can_still_be_rated(
    discord: FakeDiscord, start_bot, db, eventually
) -> None:
    async with start_bot() as process:
        discord.delay_next("PATCH", EDIT_ANSWER, 3.0)  # Discord is slow to confirm the edit...
        # One line: the answer is the first edit (more lines would stream first).
        interaction = await discord.invoke_slash("lyrics", {"seed": "last words", "lines": 1})
        await discord.wait_for_request("PATCH", EDIT_ANSWER, timeout=60)
        await process.kill()  # ...and the bot dies before it hears back
        answer = await interaction.wait_for_reply(30, settled)
        assert is_lyrics(answer)  # people see the answer
        await _shown_answers_are_logged(db, [answer])
        await _restart_after_kill(discord, process)
        fan = discord.make_member("fan")
        await discord.add_reaction(answer, fan, FIVE)
        generation_id = generation_id_shown(answer)
        assert await eventually(lambda: db.ratings_for(generation_id), within=10) == {fan.id: 5}
