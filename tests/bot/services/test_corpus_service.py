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
    assert approved.heldout_text.count("\n\n\n") == len(heldout) - 1


async def test_held_out_songs_stay_fixed_as_the_corpus_grows(services) -> None:
    before = (await services.corpus.approved_set()).heldout_text
    for i in range(5):
        await services.corpus.submit(f"a new song number {i}\nwith its line", approve=True)
    after = await services.corpus.approved_set()
    assert all(song in after.heldout_text for song in before.split("\n\n\n"))


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
