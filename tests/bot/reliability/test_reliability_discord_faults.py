"""Discord's bad days: rate limits, server errors, slow answers and dropped gateways. The user
still gets the answer, it is still logged, and the bot keeps answering."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from fakediscord import FakeDiscord, MessageRecord
from reliability_support import generation_id_shown, is_lyrics

from bot.settings import DEFAULT_EMOJIS
from bot.storage import Database

CALLBACK = r"^/interactions/\d+/[^/]+/callback$"
EDIT_ANSWER = r"^/webhooks/\d+/[^/]+/messages/@original$"
REACTION = r"^/channels/\d+/messages/\d+/reactions/"


async def _answered_and_logged(
    discord: FakeDiscord, db: Database, eventually, reply: MessageRecord
) -> None:
    """Lyrics shown, all rating buttons on them, and the message findable in the log."""
    assert is_lyrics(reply), reply.content
    assert await discord.wait_for_reactions(reply, 5, timeout=60) == list(DEFAULT_EMOJIS)
    found = await eventually(lambda: db.generation_for_message(reply.id), within=30)
    assert found == generation_id_shown(reply)


def _statuses(discord: FakeDiscord, method: str, path_regex: str) -> list[int | None]:
    pattern = re.compile(path_regex)
    return [r.status for r in discord.requests if r.method == method and pattern.search(r.path)]


async def test_rate_limits_are_waited_out_and_the_answer_arrives(
    discord: FakeDiscord, start_bot, ask, db, eventually
) -> None:
    async with start_bot() as process:
        discord.fail_next("POST", CALLBACK, 429, retry_after=0.5)
        _, deferred = await ask({"seed": "hold on", "lines": 1})
        first, *_, last = _statuses(discord, "POST", CALLBACK)
        assert first == 429 and last is not None and 200 <= last < 300
        await _answered_and_logged(discord, db, eventually, deferred)

        discord.fail_next("PATCH", EDIT_ANSWER, 429, retry_after=0.5, times=2)
        _, edited = await ask({"seed": "wait for it", "lines": 1})
        await _answered_and_logged(discord, db, eventually, edited)
        assert _statuses(discord, "PATCH", EDIT_ANSWER).count(429) == 2

        discord.fail_next("PUT", REACTION, 429, retry_after=0.5)
        discord.fail_next("PUT", REACTION, 429, retry_after=0.5, is_global=True)
        _, decorated = await ask({"seed": "slowly now", "lines": 1})
        await _answered_and_logged(discord, db, eventually, decorated)
        assert [s for s in _statuses(discord, "PUT", REACTION) if s != 204] == [429, 429]
        assert "rate limited" in process.log_text()


async def test_a_server_error_on_an_answer_or_a_rating_button_loses_nothing(
    discord: FakeDiscord, start_bot, ask, db, eventually
) -> None:
    async with start_bot():
        discord.fail_next("PUT", REACTION, 500)  # discord.py retries a 500 a second later
        interaction, reply = await ask({"seed": "glitch", "lines": 1})
        await _answered_and_logged(discord, db, eventually, reply)
        assert 500 in _statuses(discord, "PUT", REACTION)
        discord.fail_next("PATCH", EDIT_ANSWER, 500)  # and so it does for the answer itself
        _, edited = await ask({"seed": "second try", "lines": 1})
        await _answered_and_logged(discord, db, eventually, edited)
        assert 500 in _statuses(discord, "PATCH", EDIT_ANSWER)
        _, next_one = await ask({"seed": "next song", "lines": 1})
        await _answered_and_logged(discord, db, eventually, next_one)
        assert len(interaction.messages) == 1  # no extra "something went wrong"


async def test_a_rating_button_discord_keeps_refusing_costs_only_that_button(
    discord: FakeDiscord, start_bot, ask, db, eventually
) -> None:
    async with start_bot() as process:
        discord.fail_next("PUT", REACTION, 503)  # not retried by discord.py, like 5 x 500
        interaction, reply = await ask({"seed": "glitch", "lines": 1})
        assert is_lyrics(reply)  # the answer stays
        found = await eventually(lambda: db.generation_for_message(reply.id), within=30)
        assert found == generation_id_shown(reply)
        _, next_one = await ask({"seed": "next song", "lines": 1})
        await _answered_and_logged(discord, db, eventually, next_one)
        assert [m.content[:60] for m in interaction.messages] == [reply.content[:60]]
        assert await discord.wait_for_reactions(reply, 4, timeout=30) == list(DEFAULT_EMOJIS[1:])
        assert "Traceback" not in process.log_text()


async def test_slow_discord_responses_still_end_in_the_answer(
    discord: FakeDiscord, start_bot, ask, db, eventually
) -> None:
    async with start_bot():
        discord.delay_next("POST", CALLBACK, 2.0)
        discord.delay_next("PATCH", EDIT_ANSWER, 2.0)
        discord.delay_next("PUT", REACTION, 2.0)
        first = await discord.invoke_slash("lyrics", {"seed": "slow lane", "lines": 1})
        _, meanwhile = await ask({"seed": "fast lane", "lines": 1})  # not held up by the first
        assert is_lyrics(meanwhile)
        reply = await first.wait_for_reply(60, is_lyrics)
        await _answered_and_logged(discord, db, eventually, reply)
        await _answered_and_logged(discord, db, eventually, meanwhile)


async def test_gateway_drops_mid_answer_and_the_bot_carries_on(
    discord: FakeDiscord,
    start_bot,
    ask,
    db,
    eventually,
    models_dir: Path,
    slow_model: Path,
) -> None:
    shutil.copytree(slow_model, models_dir / "slow")
    async with start_bot(LYRICBOT_DEFAULT_MODEL="slow", LYRICBOT_SERVING_WEIGHTS="fp32"):
        pending = await discord.invoke_slash("lyrics", {"seed": "mid song", "lines": 4})
        await pending.wait_for_callback(30)  # generating now
        await discord.drop_gateway()  # a RESUME
        reply = await pending.wait_for_reply(120, is_lyrics)
        await _answered_and_logged(discord, db, eventually, reply)
        await discord.wait_until_connected(60)
        _, after_resume = await ask({"seed": "encore", "lines": 1}, within=120)
        await _answered_and_logged(discord, db, eventually, after_resume)

        await discord.drop_gateway(invalidate_session=True)  # a fresh IDENTIFY
        await discord.wait_until_identified(60, count=2)
        _, after_identify = await ask({"seed": "one more", "lines": 1}, within=120)
        await _answered_and_logged(discord, db, eventually, after_identify)
        fan = discord.make_member("fan")
        await discord.add_reaction(reply, fan, DEFAULT_EMOJIS[3])  # rated across both drops
        generation_id = generation_id_shown(reply)
        assert await eventually(lambda: db.ratings_for(generation_id), within=30) == {fan.id: 4}
        assert len(discord.sync_calls) == 1  # reconnects never re-sync commands
