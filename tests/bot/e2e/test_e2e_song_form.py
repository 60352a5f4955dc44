"""/lyrics with a rhyme scheme and a syllable count, as a Discord user asks for it: eight lines
of real words whose ends rhyme as asked, the settings in the footer, the usual schemes offered
as the option is typed, and a clear private answer for a scheme that is not one."""

from __future__ import annotations

from pathlib import Path

from fakediscord import FakeDiscord

from bot.storage import Database
from lyriccore.checkpoint import load_model
from lyriccore.model_words import model_words
from lyriccore.songmetrics import SongForm, real_word_rate, rhyme_adherence


async def test_abab_with_eight_syllables_rhymes_through_discord(
    discord: FakeDiscord, start_bot, models_dir: Path, db: Database, eventually
) -> None:
    async with start_bot():
        options = {"seed": "we drift", "scheme": "ABAB", "syllables": "8", "lines": 8}
        interaction = await discord.invoke_slash("lyrics", options)
        reply = await interaction.wait_for_reply(60, lambda m: "Machine-generated" in m.content)
        assert not reply.ephemeral
        assert "scheme ABAB · syllables 8 · best\\_of 8 · words strict" in reply.content
        rows = await eventually(lambda: db.generation_for_message(reply.id), within=30)
        row = await db.get_generation(rows)
        assert row is not None and row.output is not None
        words = model_words(load_model(models_dir / "starter"))
        rhyme = rhyme_adherence([row.output], SongForm("ABAB", (8,)), words)
        assert rhyme["rhyming_pairs"] == rhyme["required_pairs"] >= 3
        assert real_word_rate([row.output], words) == 1.0

        choices = await discord.invoke_autocomplete("lyrics", {"scheme": "ab"}, "scheme")
        assert {"ABAB", "ABCB"} <= {c["value"] for c in choices}

        bad = await discord.invoke_slash("lyrics", {"seed": "we drift", "scheme": "AB1"})
        answer = await bad.wait_for_reply(30)
        assert answer.ephemeral and "letters only, like AABB or ABCB" in answer.content
