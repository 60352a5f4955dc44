"""/song as a Discord user asks for it: a labelled song whose chorus comes back word for word,
the same song again from the same seed, rated like any answer, and a clear answer for a form
that is not one."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from fakediscord import FakeDiscord

from bot.settings import DEFAULT_EMOJIS
from bot.storage import Database

FINAL = "Machine-generated song"


def _sections(content: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for label, text in re.findall(r"\*\*\[(.+?)\]\*\*\n(.*?)(?=\n\n|$)", content, re.S):
        found.setdefault(label, []).append(text)
    return found


async def test_a_song_has_labelled_sections_and_its_chorus_comes_back(
    discord: FakeDiscord, start_bot, db: Database, eventually
) -> None:
    async with start_bot():
        options = {"seed": "we drift", "form": "verse-chorus-verse-chorus", "rng_seed": 7}
        asked = await discord.invoke_slash("song", options)
        reply = await asked.wait_for_reply(120, lambda m: FINAL in m.content)
        sections = _sections(reply.content)
        assert list(sections) == ["Verse 1", "Chorus", "Verse 2"]
        assert len(sections["Chorus"]) == 2 and len(set(sections["Chorus"])) == 1
        assert await discord.wait_for_reactions(reply, 5) == list(DEFAULT_EMOJIS)
        generation_id = await eventually(lambda: db.generation_for_message(reply.id))
        row = await db.get_generation(generation_id)
        assert row.kind == "song" and row.params["form"] == "verse-chorus-verse-chorus"
        assert row.output.startswith("[Verse 1]\nwe drift")

        again = await discord.invoke_slash("song", options)
        same = await again.wait_for_reply(120, lambda m: FINAL in m.content)
        assert _sections(same.content) == sections  # same seed and settings, same song

        bad = await discord.invoke_slash("song", {"seed": "we drift", "form": "verse-hook"})
        refused = await bad.wait_for_reply(30)
        assert refused.ephemeral and "A song form is sections joined by '-'" in refused.content


async def test_a_song_in_a_style_offered_by_autocomplete_and_an_unknown_one_refused(
    discord: FakeDiscord,
    start_bot,
    db: Database,
    eventually,
    models_dir: Path,
    starter_tiny_model: Path,
) -> None:
    shutil.rmtree(models_dir / "starter")  # serve a model trained with the starter's styles
    shutil.copytree(starter_tiny_model, models_dir / "starter")
    async with start_bot():
        offered = await discord.invoke_autocomplete("song", {"style": "sea"}, "style")
        assert [(c["name"], c["value"]) for c in offered] == [("sea shanty", "sea_shanty")]
        options = {"seed": "we drift", "style": "blues", "form": "verse-chorus", "rng_seed": 3}
        asked = await discord.invoke_slash("song", options)
        reply = await asked.wait_for_reply(120, lambda m: FINAL in m.content)
        assert "style blues" in reply.content and list(_sections(reply.content)) == [
            "Verse",
            "Chorus",
        ]
        generation_id = await eventually(lambda: db.generation_for_message(reply.id))
        assert (await db.get_generation(generation_id)).params["style"] == "blues"

        bad = await discord.invoke_slash("lyrics", {"seed": "we drift", "style": "polka"})
        refused = await bad.wait_for_reply(30)
        assert refused.ephemeral
        assert (
            "Unknown style 'polka'; this model knows: ballad, bluegrass, blues" in refused.content
        )
