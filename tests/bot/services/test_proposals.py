"""Proposing the best-rated answers to the corpus: pending only, where they came from, once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.cli import main
from bot.services.corpus import CorpusService
from bot.services.proposals import describe_proposals, propose_highly_rated
from bot.services.reports import describe_entries
from bot.settings import Settings
from bot.storage import Database


async def test_highly_rated_answers_become_pending_entries_once(tmp_path: Path, rate) -> None:
    async with await Database.open(tmp_path / "lyricbot.db") as db:
        corpus = CorpusService(db, Settings(token="not-needed", db_path=db.path))
        loved = await rate(db, "v0002", {}, [5, 5, 4], output="golden hour\nwe hold the light")
        await rate(db, "v0002", {}, [5, 5], output="two fans are not enough")  # too few raters
        await rate(db, "v0002", {}, [5, 4, 4], output="a 4.3 is not enough")  # mean too low
        proposals = await propose_highly_rated(db, corpus, proposer=77)
        assert [(p.answer.id, p.answer.raters) for p in proposals] == [(loved, 3)]
        entry = await db.get_corpus_entry(proposals[0].entry_id)
        assert (entry.status, entry.source, entry.submitted_by) == ("pending", "submission", 77)
        assert entry.text == "golden hour\nwe hold the light\n"
        assert entry.title == f"from generation #{loved} (4.7 from 3 raters)"
        assert f"entry #{entry.id}" in describe_proposals(proposals, 4.5, 3)

        listing = describe_entries("pending", await db.list_corpus_entries("pending"), {})
        assert f"from generation #{loved} (4.7 from 3 raters): golden hour" in listing

        again = await propose_highly_rated(db, corpus, proposer=None)
        assert [p.entry_id for p in again] == [None]
        assert "Refused 1" in describe_proposals(again, 4.5, 3)
        assert (await db.corpus_counts())["pending"] == 1
        nothing = await propose_highly_rated(db, corpus, proposer=None, min_raters=10)
        assert describe_proposals(nothing, 4.5, 10).startswith("No answer has a mean of 4.5")


async def test_the_cli_proposes_and_says_what_it_did(
    rated_db: Database, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("LYRICBOT_DB", str(rated_db.path))
    monkeypatch.setenv("LYRICBOT_MODELS", str(tmp_path / "models"))
    assert await asyncio.to_thread(main, ["corpus", "propose"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Proposed 1 answer(s) as pending entries")
    assert "(4.8 from 4 raters)" in out
    assert await asyncio.to_thread(main, ["corpus", "propose", "--min-mean", "4.4"]) == 0
    out = capsys.readouterr().out
    assert "Proposed 1 answer(s)" in out and "Refused 1" in out
