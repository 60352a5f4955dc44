"""The approved corpus: what the bot may learn from, and only after an admin said yes.

Every entry is normalised like training text before it is hashed, so the same song pasted
twice (or with other line endings) is one entry. Training reads approved entries only; a
fixed share of them, chosen by their hash, is held out so that candidate and serving models
are always compared on the same text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.services.errors import InvalidRequest
from bot.settings import Settings
from bot.storage import CorpusEntry, Database, DuplicateEntryError, NewCorpusEntry
from bot.storage.locks import hold_lock
from lyriccore.corpus import (
    Document,
    build_corpus,
    corpus_files,
    document_sha256,
    folder_style,
    normalise,
    split_held_out,
)
from lyriccore.corpus import read_documents as read_corpus_documents
from lyriccore.errors import ConfigError, CorpusError
from lyriccore.starter import starter_documents
from lyriccore.styles import normalise_style

log = logging.getLogger(__name__)

EntrySource = Literal["submission", "import", "starter"]


@dataclass(frozen=True)
class ApprovedSet:
    """The approved songs split for training, with the fingerprint the trained model will
    carry (so an unchanged corpus is not trained again)."""

    train: list[Document]
    heldout: list[Document]
    fingerprint: str
    entries: int


def decode_upload(data: bytes, filename: str, limit: int) -> str:
    """Accept plain UTF-8 text files only, within the size limit."""
    if not filename.lower().endswith(".txt"):
        raise InvalidRequest("Attach a plain-text .txt file.")
    if len(data) > limit:
        raise InvalidRequest(f"That file is {len(data):,} bytes; the limit is {limit:,}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("That file is not UTF-8 text.") from None
    if "\x00" in text:
        raise InvalidRequest("That file is not text.")
    return text


def entry_style(style: str | None) -> str | None:
    """A submitted style, normalised like the corpus' own ("Sea Shanty" is sea_shanty)."""
    if style is None or not style.strip():
        return None
    try:
        return normalise_style(style)
    except ConfigError as exc:
        raise InvalidRequest(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None


class CorpusService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def submit(
        self,
        text: str,
        *,
        source: EntrySource = "submission",
        submitted_by: int | None = None,
        title: str | None = None,
        licence: str | None = None,
        approve: bool = False,
        limited: bool = False,
        style: str | None = None,
    ) -> int:
        """Store a new entry (pending unless `approve`); returns its id. User submissions are
        `limited` to the configured size; an operator's imports are not. `style` names the
        kind of song it is (any name: a new one becomes a style at the next retrain)."""
        limit = self.settings.corpus_max_bytes
        if limited and len(text.encode("utf-8")) > limit:
            raise InvalidRequest(f"That text is over the {limit:,}-byte limit.")
        clean = normalise(text)
        if not clean.strip():
            raise InvalidRequest("That text is empty.")
        entry = NewCorpusEntry(
            style=entry_style(style),
            sha256=document_sha256(clean),
            text=clean,
            source=source,
            title=title,
            licence=licence,
            submitted_by=submitted_by,
            status="approved" if approve else "pending",
        )
        try:
            return await self.db.add_corpus_entry(entry)
        except DuplicateEntryError as exc:
            raise InvalidRequest(str(exc).capitalize() + ".") from None

    async def import_path(
        self, path: Path, *, approve: bool, licence: str | None
    ) -> tuple[int, int]:
        """Import every song of a file or folder; returns (added, already present)."""
        added = duplicates = 0
        try:
            documents = [
                (f, d)
                for f in corpus_files(path)
                for d in read_corpus_documents(f, style=folder_style(path, f))
            ]
        except CorpusError as exc:
            raise InvalidRequest(str(exc)) from None
        for file, document in documents:
            if not document.text.strip():
                continue
            try:
                await self.submit(
                    document.text, source="import", approve=approve, licence=licence,
                    title=file.name, style=document.style,
                )  # fmt: skip
                added += 1
            except InvalidRequest:
                duplicates += 1
        return added, duplicates

    async def ensure_starter(self) -> int:
        """Seed the corpus with the shipped starter songs, approved: they were written for
        this project. Returns how many were added. A corpus seeded by an earlier version gets
        the starter songs shipped since (one an admin rejected stays rejected: its text is
        known), and its starter songs' styles if it was seeded before style tokens. Bot
        processes starting together on one database take turns, so the second finds nothing
        to add."""
        songs = {document_sha256(s.text): s for s in starter_documents()}  # normalised
        async with hold_lock(self.db.backend, "starter-corpus"):
            known = await self.db.corpus_digests()
            if known:
                styles = {sha: s.style for sha, s in songs.items() if s.style and sha in known}
                await self.db.label_unstyled_entries(styles)
            new = [song for sha, song in songs.items() if sha not in known]
            for song in new:
                await self.submit(
                    song.text, source="starter", approve=True, title="starter",
                    licence="original lyrics written for lyricbot", style=song.style,
                )  # fmt: skip
        if known and new:
            log.info("added %d starter songs shipped since this corpus was seeded", len(new))
        return len(new)

    async def review(
        self, entry_id: int, *, approve: bool, reviewer: int | None, reason: str | None = None
    ) -> CorpusEntry:
        if await self.db.get_corpus_entry(entry_id) is None:
            raise InvalidRequest(f"There is no corpus entry #{entry_id}.")
        status: Literal["approved", "rejected"] = "approved" if approve else "rejected"
        return await self.db.review_corpus_entry(entry_id, status, reviewer, reason)

    async def approved_set(self) -> ApprovedSet:
        entries = await self.db.approved_corpus_entries()
        if len(entries) < 2:
            raise InvalidRequest("Training needs at least 2 approved corpus entries.")
        train, heldout = split_held_out([Document(e.text, e.style) for e in entries])
        return ApprovedSet(
            train=train,
            heldout=heldout,
            fingerprint=build_corpus(train, ()).fingerprint,
            entries=len(entries),
        )
