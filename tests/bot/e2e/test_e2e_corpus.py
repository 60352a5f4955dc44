"""/corpus through the real bot: submissions, limits, review."""

from __future__ import annotations

from fakediscord import FakeDiscord, Upload

from bot.storage import Database


async def _reply(discord: FakeDiscord, command: str, options: dict, user=None):
    interaction = await discord.invoke_slash(command, options, user=user)
    return await interaction.wait_for_reply(15)


async def test_submissions_are_checked_and_reviewed(
    discord: FakeDiscord, start_bot, db: Database
) -> None:
    admin = discord.make_admin()
    async with start_bot(LYRICBOT_CORPUS_MAX_BYTES="200"):
        song = "my own chorus\nsung on the stairs"
        ok = await _reply(discord, "corpus submit", {"text": song, "title": "stairs"})
        assert ok.ephemeral and "Submitted as entry #" in ok.content
        again = await _reply(discord, "corpus submit", {"text": song + "\n"})
        assert "already submitted as entry" in again.content
        big = Upload("big.txt", b"la la la\n" * 100, "text/plain")
        refused = await _reply(discord, "corpus submit", {"file": big})
        assert "the limit is 200" in refused.content
        binary = Upload("song.txt", b"\x00\x01\x02", "application/octet-stream")
        assert "not text" in (await _reply(discord, "corpus submit", {"file": binary})).content
        image = Upload("song.png", b"\x89PNG", "image/png")
        assert ".txt" in (await _reply(discord, "corpus submit", {"file": image})).content
        good = Upload("mine.txt", b"a verse from a file\nwith a second line", "text/plain")
        assert "entry #" in (await _reply(discord, "corpus submit", {"file": good})).content

        listing = await _reply(discord, "corpus list", {}, user=admin)
        assert "2 pending" in listing.content and "my own chorus" in listing.content
        pending = await db.list_corpus_entries("pending")
        first, second = sorted(e.id for e in pending)
        assert "approved" in (await _reply(discord, "corpus approve", {"id": first}, admin)).content
        rejected = await _reply(
            discord, "corpus reject", {"id": second, "reason": "not lyrics"}, admin
        )
        assert "rejected" in rejected.content
        assert (await db.get_corpus_entry(first)).status == "approved"
        entry = await db.get_corpus_entry(second)
        assert entry.status == "rejected" and entry.review_reason == "not lyrics"
        missing = await _reply(discord, "corpus approve", {"id": 99999}, admin)
        assert "no corpus entry #99999" in missing.content
