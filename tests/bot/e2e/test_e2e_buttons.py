"""The buttons under an answer, as people use them: another take, four more lines, and the same
seed with their own settings — each a new answer of its own, rated like any other and linked
to the one it came from in the log, and all still working after the bot restarts."""

from __future__ import annotations

from fakediscord import FakeDiscord, MessageRecord

from bot.storage import Database

FINAL = "Machine-generated"


def _final(message: MessageRecord) -> bool:
    return FINAL in message.content


async def _answer(interaction) -> MessageRecord:
    return await interaction.wait_for_reply(60, _final)


def _lines(text: str) -> list[str]:
    """Lines as a reader counts them (a seed is read back with its spaces normalised)."""
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


async def _row(db: Database, eventually, message: MessageRecord):
    generation_id = await eventually(lambda: db.generation_for_message(message.id), within=30)
    return await db.get_generation(generation_id)


async def test_take_continue_and_own_settings_make_linked_answers_even_after_a_restart(
    discord: FakeDiscord, start_bot, db: Database, eventually
) -> None:
    async with start_bot() as process:
        first = await discord.invoke_slash("lyrics", {"seed": "we drift", "lines": 4})
        answer = await _answer(first)
        parent = await _row(db, eventually, answer)
        ids = [c["custom_id"] for row in answer.components for c in row["components"]]
        assert ids == [f"lyrics:{k}:{parent.id}" for k in ("take", "continue", "edit")]

        take = await _answer(await discord.invoke_component(answer, f"lyrics:take:{parent.id}"))
        assert take.id != answer.id and take.content.startswith("**we drift**")
        assert f"another take of #{parent.id}" in take.content.replace("\\", "")
        taken = await _row(db, eventually, take)
        assert (taken.kind, taken.parent_id, taken.seed) == ("take", parent.id, "we drift")
        assert taken.rng_seed != parent.rng_seed
        assert await discord.wait_for_reactions(take, 5)  # rated like any answer

        more = await _answer(await discord.invoke_component(answer, f"lyrics:continue:{parent.id}"))
        grown = await _row(db, eventually, more)
        assert (grown.kind, grown.parent_id) == ("continue", parent.id)
        before, after = _lines(parent.output), _lines(grown.output)
        assert after[: len(before) - 1] == before[:-1]  # from where it ended...
        assert after[len(before) - 1].startswith(before[-1])
        assert len(after) - len(before) == 4  # ...four more lines
        assert more.content.startswith("**…")  # shows only the last line it carries on from
        assert await discord.wait_for_reactions(more, 5)
        kinds = {g.key: g.generations for g in (await db.stats()).by_kind}
        assert kinds == {"lyrics": 1, "take": 1, "continue": 1}

        await process.restart()
        await discord.wait_until_identified(60, count=2)
        opened = await discord.invoke_component(answer, f"lyrics:edit:{parent.id}")
        await opened.wait_for_callback(30)
        assert opened.modal is not None
        values = {"temperature": "0.5", "scheme": "AABB", "syllables": "6"}
        reworked = await _answer(await discord.submit_modal(opened, values))
        edited = await _row(db, eventually, reworked)
        assert (edited.kind, edited.parent_id, edited.seed) == ("edit", parent.id, "we drift")
        assert edited.params["temperature"] == 0.5 and edited.params["scheme"] == "AABB"
        assert edited.params["syllables"] == [6]

        bad = await discord.invoke_component(answer, f"lyrics:edit:{parent.id}")
        await bad.wait_for_callback(30)
        refused = await discord.submit_modal(bad, {"temperature": "hot"})
        reply = await refused.wait_for_reply(30)
        assert reply.ephemeral and "temperature must be a number" in reply.content


async def test_a_click_obeys_the_lyrics_cooldown(discord: FakeDiscord, start_bot) -> None:
    async with start_bot(LYRICBOT_COOLDOWN_RATE="1", LYRICBOT_COOLDOWN_SECONDS="60"):
        answer = await _answer(await discord.invoke_slash("lyrics", {"seed": "hi", "lines": 1}))
        custom_id = answer.components[0]["components"][0]["custom_id"]
        click = await discord.invoke_component(answer, custom_id)
        reply = await click.wait_for_reply(30)
        assert reply.ephemeral and "Slow down" in reply.content
