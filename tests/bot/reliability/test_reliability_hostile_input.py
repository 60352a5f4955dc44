"""Hostile /lyrics input: whatever people type, they get a clear answer that pings nobody,
the bot keeps running, and every answer shown is in the generation log, seed byte for byte.

Only values the Discord client can send are used: it enforces the options' declared limits
(the seed's 1–200 characters, each number's range), and so does the fake's ``invoke_slash``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fakediscord import FakeDiscord, MessageRecord
from reliability_support import generation_id_shown, is_lyrics

from bot.storage import Database

EMPTY = "The seed is empty"
UNKNOWN_MODEL = "There is no model called"
RAW_MENTION = re.compile(r"<@[!&]?\d{17,20}>")  # escaped ones read "<@\u200b…>"
LYRICS = None  # expected: an answer with lyrics

ZALGO = "h\u0337\u031b\u031de\u0334\u0353\u033el\u0338\u0330\u035dl\u0335\u033b\u0308o"
SEEDS: list[tuple[str, str | None]] = [
    # empty, whitespace, the length limit
    (" ", EMPTY),
    ("\t \t", EMPTY),
    ("\n\n\n", EMPTY),
    ("\u3000\u2003\u00a0", EMPTY),  # ideographic, em and no-break spaces
    ("a" * 200, LYRICS),
    ("la " * 66 + "la", LYRICS),
    (" " * 199 + "x", LYRICS),
    ("x" + " " * 199, LYRICS),
    ("supercalifragilistic" * 10, LYRICS),  # one 200-character word
    # control and invisible characters
    ("\x00", LYRICS),
    ("\x00\x00 nul in the seed \x00", LYRICS),
    ("\x01\x02\x03\x07\x08\x0b\x0c\x1b\x7f bells", LYRICS),
    ("\x1b[31mred alert\x1b[0m", LYRICS),
    ("\u200b", LYRICS),  # zero-width space: not whitespace to str.strip
    ("\u200b\u200c\u200d\u2060\ufeff", LYRICS),
    ("\ufffe\uffff\U0010ffff", LYRICS),  # noncharacters
    # zalgo and bidirectional overrides
    (ZALGO, LYRICS),
    ("a" + "\u0301" * 199, LYRICS),  # one letter under 199 combining accents
    ("\u202egnos a gnis\u202c", LYRICS),
    ("\u202d\u202e\u2066\u2067\u2068\u2069", LYRICS),
    ("we drift \u202e@everyone", LYRICS),
    # mentions
    ("@everyone", LYRICS),
    ("@here", LYRICS),
    ("@everyone @here sing along", LYRICS),
    ("<@123>", LYRICS),
    ("<@123456789012345678> you", LYRICS),
    ("<@!123456789012345678> nick", LYRICS),
    ("<@&456789012345678901> role", LYRICS),
    ("<#789012345678901234> channel", LYRICS),
    ("@\u200beveryone", LYRICS),
    ("＠everyone fullwidth", LYRICS),
    # markdown and code
    ("**bold** __under__ ~~strike~~ ||spoiler||", LYRICS),
    ("> quoted\n>>> block quote", LYRICS),
    ("# Heading\n-# subtext", LYRICS),
    ("```py\nprint('hi')\n```", LYRICS),
    ("```", LYRICS),
    ("`inline` ``double``", LYRICS),
    ("[click me](https://example.com/@everyone)", LYRICS),
    ("\\*not bold\\* \\\\ back\\slash", LYRICS),
    ("*_~|`>", LYRICS),
    # emoji, other scripts, characters the model never saw
    ("🎵🎶🔥", LYRICS),
    ("👨‍👩‍👧‍👦 🇺🇸 1️⃣", LYRICS),
    ("我们在夜里唱歌", LYRICS),
    ("мы поём ночью", LYRICS),
    ("نحن نغني في الليل", LYRICS),
    ("אנחנו שרים", LYRICS),
    ("हम गाते हैं", LYRICS),
    # null-ish and injection-shaped text
    ("null", LYRICS),
    ("None", LYRICS),
    ("undefined NaN -0 1e309", LYRICS),
    ("'; DROP TABLE generations; --", LYRICS),
    ("%s %d %n {0} {seed} ${jndi:ldap://x}", LYRICS),
    ("<script>alert(1)</script>", LYRICS),
    ("../../etc/passwd", LYRICS),
    # line breaks
    ("line one\nline two", LYRICS),
    ("carriage\r\nreturn\rbreaks", LYRICS),
    ("a\n\n\n\n\n\nb", LYRICS),
    ("line\u2028separator\u2029paragraph\u0085next", LYRICS),
]

OPTIONS: list[tuple[dict[str, Any], str | None]] = [
    ({"temperature": 0.1}, LYRICS),
    ({"temperature": 2.0}, LYRICS),
    ({"top_p": 0.05}, LYRICS),
    ({"top_p": 1.0}, LYRICS),
    ({"top_k": 0}, LYRICS),
    ({"top_k": 1}, LYRICS),
    ({"top_k": 200}, LYRICS),
    ({"lines": 1}, LYRICS),
    ({"lines": 32}, LYRICS),
    ({"repetition_penalty": 1.0}, LYRICS),
    ({"repetition_penalty": 2.0}, LYRICS),
    ({"anneal": 0.1}, LYRICS),
    ({"anneal": 2.0}, LYRICS),
    ({"rng_seed": 0}, LYRICS),
    ({"rng_seed": 2**31 - 1}, LYRICS),
    ({"temperature": 0.1, "top_p": 0.05, "top_k": 1, "lines": 1, "repetition_penalty": 1.0,
      "anneal": 0.1, "rng_seed": 0}, LYRICS),
    ({"temperature": 2.0, "top_p": 1.0, "top_k": 200, "lines": 32, "repetition_penalty": 2.0,
      "anneal": 2.0, "rng_seed": 2**31 - 1}, LYRICS),
    ({"temperature": 0.30000000000000004, "top_p": 0.9999999999999999}, LYRICS),
    ({"temperature": 1, "top_p": 1}, LYRICS),  # integers where numbers are declared
    ({"seed": "x" * 200, "lines": 32, "temperature": 2.0}, LYRICS),  # the longest answer
    ({"model": "starter"}, LYRICS),
    ({"model": ""}, UNKNOWN_MODEL),
    ({"model": "../starter"}, UNKNOWN_MODEL),
    ({"model": ".staging"}, UNKNOWN_MODEL),
    ({"model": "/etc/passwd"}, UNKNOWN_MODEL),
    ({"model": "STARTER"}, UNKNOWN_MODEL),
    ({"model": "starter\x00"}, UNKNOWN_MODEL),
    ({"model": "x" * 500}, UNKNOWN_MODEL),
]  # fmt: skip

CASES = [({"seed": seed}, expected) for seed, expected in SEEDS] + [
    ({"seed": "we drift", **options}, expected) for options, expected in OPTIONS
]


def _never_pings(reply: MessageRecord) -> None:
    assert reply.allowed_mentions == {"parse": []}, reply.allowed_mentions
    assert "@everyone" not in reply.content and "@here" not in reply.content, reply.content
    assert not RAW_MENTION.search(reply.content), reply.content


async def _check(db: Database, options: dict[str, Any], expected: str | None, reply) -> None:
    _never_pings(reply)
    if expected is not LYRICS:
        assert reply.ephemeral and expected in reply.content, (options, reply.content)
        return
    assert is_lyrics(reply), (options, reply.content)
    generation_id = generation_id_shown(reply)
    row = await db.get_generation(generation_id)
    assert row is not None and row.seed == options["seed"], (options, row)
    assert row.status == "ok" and row.interaction_id == reply.interaction_id


async def test_hostile_seeds_and_edge_options_get_clear_replies_that_ping_nobody(
    discord: FakeDiscord, start_bot, ask, db, eventually
) -> None:
    assert len(CASES) >= 50
    async with start_bot(LYRICBOT_QUEUE_SIZE="64"):
        limit = asyncio.Semaphore(4)

        async def one(options: dict[str, Any]) -> MessageRecord:
            async with limit:
                return (await ask(options, within=120))[1]

        replies = await asyncio.gather(*(one(options) for options, _ in CASES))
        for (options, expected), reply in zip(CASES, replies, strict=True):
            await _check(db, options, expected, reply)
        answered = [r for r in replies if is_lyrics(r)]

        async def all_attached() -> bool:
            ids = [await db.generation_for_message(r.id) for r in answered]
            return ids == [generation_id_shown(r) for r in answered]

        await eventually(all_attached, within=30)
        _, after = await ask({"seed": "still here", "lines": 1})
        assert is_lyrics(after)


async def test_an_unknown_model_named_like_a_mention_is_not_echoed_raw(
    discord: FakeDiscord, start_bot, ask
) -> None:
    async with start_bot():
        for model in ("@everyone", "@here"):
            _, reply = await ask({"seed": "we drift", "model": model}, within=60)
            assert reply.ephemeral and UNKNOWN_MODEL in reply.content
            _never_pings(reply)


STRING, INTEGER, NUMBER = 3, 4, 10  # Discord's option types
FORGED: list[tuple[list[dict[str, Any]], str]] = [
    ([{"name": "seed", "type": NUMBER, "value": 5}], "`seed` must be text (got 5)."),
    ([{"name": "seed", "type": STRING, "value": None}], "`seed` must be text (got null)."),
    ([{"name": "seed", "type": STRING, "value": ["a"]}], '`seed` must be text (got ["a"]).'),
    (
        [{"name": "seed", "type": STRING, "value": "hi"}, {"name": "lines", "type": INTEGER,
          "value": "3"}],
        '`lines` must be a whole number (got "3").',
    ),
    (
        [{"name": "seed", "type": STRING, "value": "hi"}, {"name": "temperature",
          "type": NUMBER, "value": "abc"}],
        '`temperature` must be a number (got "abc").',
    ),
    (
        [{"name": "seed", "type": STRING, "value": "hi"}, {"name": "top_k", "type": INTEGER,
          "value": 2.5}],
        "`top_k` must be a whole number (got 2.5).",
    ),
    (
        [{"name": "seed", "type": STRING, "value": "hi"}, {"name": "rng_seed", "type": INTEGER,
          "value": True}],
        "`rng_seed` must be a whole number (got true).",
    ),
]  # fmt: skip


async def test_options_of_the_wrong_json_type_get_a_clear_private_answer(
    discord: FakeDiscord, start_bot, db
) -> None:
    async with start_bot():
        for options, expected in FORGED:
            interaction = await discord.invoke_forged("lyrics", options)
            reply = await interaction.wait_for_reply(30)
            assert reply.ephemeral and reply.content == expected, (options, reply.content)
            _never_pings(reply)
        assert (await db.stats(None)).total_generations == 0
