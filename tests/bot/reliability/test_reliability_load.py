"""A thousand /lyrics from twenty people at once: everyone gets an answer, nothing is lost."""

from __future__ import annotations

import asyncio
import time

from fakediscord import FakeDiscord, MessageRecord
from reliability_support import generation_id_shown, is_lyrics

USERS = 20
REQUESTS_EACH = 50


async def test_a_thousand_requests_from_twenty_users_are_all_answered_and_logged(
    discord: FakeDiscord, start_bot, ask, db, eventually
) -> None:
    users = [discord.make_member(f"singer{i}") for i in range(USERS)]
    async with start_bot():  # cooldown off; the default queue (16 waiting) does fill
        started = time.monotonic()

        async def sing(index: int) -> list[MessageRecord]:
            replies = []
            for n in range(REQUESTS_EACH):
                options = {"seed": f"song {index} verse {n}", "lines": 1 + n % 2}
                _, reply = await ask(options, user=users[index], within=90)
                replies.append(reply)
            return replies

        per_user = await asyncio.gather(*(sing(i) for i in range(USERS)))
        elapsed = time.monotonic() - started
        replies = [reply for replies in per_user for reply in replies]
        assert len(replies) == USERS * REQUESTS_EACH  # nobody was left without an answer
        answered = [r for r in replies if is_lyrics(r)]
        busy = [r for r in replies if not is_lyrics(r)]
        assert all(r.ephemeral and "busy" in r.content and "try again in" in r.content
                   for r in busy), {r.content[:80] for r in busy}  # fmt: skip
        assert answered
        assert all(r.allowed_mentions == {"parse": []} for r in answered)

        async def all_logged() -> bool:
            ids = [await db.generation_for_message(r.id) for r in answered]
            return ids == [generation_id_shown(r) for r in answered]

        await eventually(all_logged, within=60)
        stats = await db.stats(discord.guild_id)
        assert stats.total_generations == len(answered)  # no row for a refusal, none twice
        _, after = await ask({"seed": "after the rush", "lines": 1})
        assert is_lyrics(after)  # the storm left no place in the queue taken
        print(f"{len(replies)} requests in {elapsed:.1f} s: {len(answered)} answered, "
              f"{len(busy)} told to try again")  # fmt: skip
