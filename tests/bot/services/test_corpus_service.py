from pathlib import Path

import pytest

from bot.services.errors import InvalidRequest
from lyriccore.corpus import split_held_out
from lyriccore.starter import starter_documents, starter_training_corpus


async def test_the_starter_songs_seed_the_corpus_once_and_match_the_starter_model(
    services,
) -> None:
    counts = await services.db.corpus_counts()
    assert counts["approved"] == len(starter_documents()) >= 50
    assert await services.corpus.ensure_starter() == 0  # not twice
    approved = await services.corpus.approved_set()
    assert approved.fingerprint == starter_training_corpus().fingerprint
    _, heldout = split_held_out(starter_documents())
    assert approved.heldout == heldout  # the same songs, with their styles


async def test_a_corpus_from_before_styles_gets_its_starter_styles(services) -> None:
    db = services.db
    await db._write("UPDATE corpus_entries SET style = NULL WHERE source = 'starter'", ())
    assert all(e.style is None for e in (await services.corpus.approved_set()).train)
    assert await services.corpus.ensure_starter() == 0
    approved = await services.corpus.approved_set()
    assert approved.fingerprint == starter_training_corpus().fingerprint
    assert {d.style for d in approved.train} == set(starter_training_corpus().styles)


async def test_starter_songs_shipped_since_the_corpus_was_seeded_join_it(services) -> None:
    """An upgrade that ships more starter songs brings them to a corpus seeded before, approved
    and styled; a starter song an admin rejected stays rejected."""
    db = services.db
    rows = await db._fetchall("SELECT id FROM corpus_entries WHERE source = 'starter'", ())
    await services.corpus.review(rows[0][0], approve=False, reviewer=1)
    await db._write("DELETE FROM corpus_entries WHERE id IN (?, ?)", (rows[1][0], rows[2][0]))
    assert await services.corpus.ensure_starter() == 2
    assert (await db.get_corpus_entry(rows[0][0])).status == "rejected"
    counts = await db.corpus_counts()
    assert counts["approved"] == len(starter_documents()) - 1
    approved = await services.corpus.approved_set()
    assert {d.style for d in approved.train} == set(starter_training_corpus().styles)
    assert await services.corpus.ensure_starter() == 0


async def test_submitted_and_imported_songs_keep_their_style(services, tmp_path: Path) -> None:
    entry_id = await services.corpus.submit("moon on the water\nslow", style="Sea Shanty")
    assert (await services.db.get_corpus_entry(entry_id)).style == "sea_shanty"
    with pytest.raises(InvalidRequest, match="is not a style name"):
        await services.corpus.submit("another one", style="!!")
    (tmp_path / "import" / "Blues").mkdir(parents=True)
    (tmp_path / "import" / "Blues" / "a.txt").write_text("woke up this morning\nlow\n")
    await services.corpus.import_path(tmp_path / "import", approve=True, licence="mine")
    entries = await services.db.list_corpus_entries("approved", limit=1)
    assert entries[0].style == "blues"


async def test_held_out_songs_stay_fixed_as_the_corpus_grows(services) -> None:
    before = (await services.corpus.approved_set()).heldout
    for i in range(5):
        await services.corpus.submit(f"a new song number {i}\nwith its line", approve=True)
    after = await services.corpus.approved_set()
    assert all(song in after.heldout for song in before)


async def test_import_adds_songs_and_skips_duplicates(services, tmp_path: Path) -> None:
    folder = tmp_path / "songs"
    folder.mkdir()
    (folder / "a.txt").write_text("first song\nline\n\n\nsecond song\nline\n")
    added, skipped = await services.corpus.import_path(folder, approve=False, licence="mine")
    assert (added, skipped) == (2, 0)
    added, skipped = await services.corpus.import_path(folder, approve=False, licence="mine")
    assert (added, skipped) == (0, 2)
    with pytest.raises(InvalidRequest, match="not found"):
        await services.corpus.import_path(tmp_path / "nope", approve=True, licence=None)
    (folder / "bad.json").write_text("{oops")
    with pytest.raises(InvalidRequest, match="invalid JSON"):
        await services.corpus.import_path(folder, approve=True, licence=None)
