"""Corpus entries as /submit and the review commands use them: add, refuse repeats, review."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.storage import (
    Database,
    DuplicateEntryError,
    StorageError,
    UnknownEntryError,
)

ALICE, MOD = 1_000_000_000_000_000_001, 1_000_000_000_000_000_009


async def test_add_and_get_round_trip(db: Database, make_entry) -> None:
    new = make_entry("blue hour\nand the city hums", submitted_by=ALICE)
    before = datetime.now(UTC)
    entry_id = await db.add_corpus_entry(new)

    entry = await db.get_corpus_entry(entry_id)
    assert entry is not None
    assert entry.id == entry_id
    for field in ("sha256", "text", "source", "title", "licence", "submitted_by", "status"):
        assert getattr(entry, field) == getattr(new, field), field
    assert entry.chars == len("blue hour\nand the city hums")
    assert before <= entry.submitted_at <= datetime.now(UTC)
    assert entry.status == "pending"
    assert (entry.reviewed_by, entry.reviewed_at, entry.review_reason) == (None, None, None)


async def test_unknown_entry_is_none(db: Database) -> None:
    assert await db.get_corpus_entry(404) is None


async def test_given_submitted_at_is_stored_as_utc(db: Database, make_entry) -> None:
    local = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    entry = await db.get_corpus_entry(await db.add_corpus_entry(make_entry(submitted_at=local)))
    assert entry is not None
    assert entry.submitted_at == local
    assert entry.submitted_at.utcoffset() == timedelta(0)


async def test_same_text_is_refused_with_the_earlier_entry(db: Database, make_entry) -> None:
    first = await db.add_corpus_entry(make_entry("same words", title="First"))
    await db.review_corpus_entry(first, "approved", MOD)

    with pytest.raises(DuplicateEntryError) as raised:
        await db.add_corpus_entry(make_entry("same words", title="Other title", submitted_by=7))
    assert (raised.value.existing_id, raised.value.status) == (first, "approved")
    assert str(raised.value) == f"this text was already submitted as entry #{first} (approved)"
    assert isinstance(raised.value, StorageError)
    assert await db.corpus_counts() == {"pending": 0, "approved": 1, "rejected": 0}


async def test_rejected_text_stays_rejected_when_resubmitted(db: Database, make_entry) -> None:
    entry_id = await db.add_corpus_entry(make_entry("spam spam spam"))
    await db.review_corpus_entry(entry_id, "rejected", MOD, "not lyrics")
    with pytest.raises(DuplicateEntryError, match=rf"entry #{entry_id} \(rejected\)"):
        await db.add_corpus_entry(make_entry("spam spam spam"))


async def test_concurrent_duplicate_submissions_keep_one(db: Database, make_entry) -> None:
    async def submit() -> int | DuplicateEntryError:
        await asyncio.sleep(0)
        try:
            return await db.add_corpus_entry(make_entry("everyone pasted this"))
        except DuplicateEntryError as exc:
            return exc

    results = await asyncio.gather(*(submit() for _ in range(10)))
    ids = [r for r in results if isinstance(r, int)]
    refusals = [r for r in results if isinstance(r, DuplicateEntryError)]
    assert len(ids) == 1 and len(refusals) == 9
    assert {r.existing_id for r in refusals} == set(ids)


async def test_review_approve_then_change_mind(db: Database, make_entry) -> None:
    entry_id = await db.add_corpus_entry(make_entry())
    before = datetime.now(UTC)

    approved = await db.review_corpus_entry(entry_id, "approved", MOD)
    assert (approved.status, approved.reviewed_by, approved.review_reason) == (
        "approved",
        MOD,
        None,
    )
    assert approved.reviewed_at is not None and before <= approved.reviewed_at

    # A second review overwrites the first; the CLI reviews with no Discord user.
    rejected = await db.review_corpus_entry(entry_id, "rejected", None, "copyrighted lyrics")
    assert (rejected.status, rejected.reviewed_by, rejected.review_reason) == (
        "rejected",
        None,
        "copyrighted lyrics",
    )
    assert rejected.reviewed_at is not None and rejected.reviewed_at >= approved.reviewed_at
    assert await db.get_corpus_entry(entry_id) == rejected
    assert rejected.text == approved.text  # the text itself is never touched by a review


async def test_reviewing_an_unknown_entry_is_refused(db: Database) -> None:
    with pytest.raises(UnknownEntryError, match="no corpus entry with id 31337"):
        await db.review_corpus_entry(31337, "approved", MOD)


@pytest.mark.parametrize("status", ["pending", "ok", ""])
async def test_review_must_approve_or_reject(db: Database, make_entry, status: str) -> None:
    entry_id = await db.add_corpus_entry(make_entry())
    with pytest.raises(ValueError, match="status"):
        await db.review_corpus_entry(entry_id, status, MOD)  # type: ignore[arg-type]
    entry = await db.get_corpus_entry(entry_id)
    assert entry is not None and entry.status == "pending"


async def test_approved_entries_come_oldest_first(db: Database, make_entry) -> None:
    ids = [await db.add_corpus_entry(make_entry(f"verse {i}")) for i in range(5)]
    for entry_id in (ids[3], ids[0], ids[4]):  # approved in a different order
        await db.review_corpus_entry(entry_id, "approved", MOD)
    await db.review_corpus_entry(ids[1], "rejected", MOD, "too short")

    approved = await db.approved_corpus_entries()
    assert [e.id for e in approved] == [ids[0], ids[3], ids[4]]
    assert [e.text for e in approved] == ["verse 0", "verse 3", "verse 4"]


async def test_counts_list_every_status(db: Database, make_entry) -> None:
    assert await db.corpus_counts() == {"pending": 0, "approved": 0, "rejected": 0}
    ids = [await db.add_corpus_entry(make_entry(f"line {i}")) for i in range(4)]
    await db.review_corpus_entry(ids[0], "approved", MOD)
    await db.review_corpus_entry(ids[1], "approved", MOD)
    await db.review_corpus_entry(ids[2], "rejected", MOD)
    assert await db.corpus_counts() == {"pending": 1, "approved": 2, "rejected": 1}


async def test_starter_texts_can_be_added_already_approved(db: Database, make_entry) -> None:
    entry_id = await db.add_corpus_entry(
        make_entry("public domain hymn", source="starter", status="approved", submitted_by=None)
    )
    (entry,) = await db.approved_corpus_entries()
    assert (entry.id, entry.source, entry.submitted_by, entry.reviewed_by) == (
        entry_id,
        "starter",
        None,
        None,
    )


async def test_list_is_newest_first_filtered_and_paged(db: Database, make_entry) -> None:
    ids = [await db.add_corpus_entry(make_entry(f"chorus {i}")) for i in range(6)]
    for entry_id in ids[::2]:
        await db.review_corpus_entry(entry_id, "approved", MOD)

    assert [e.id for e in await db.list_corpus_entries()] == ids[::-1]
    assert [e.id for e in await db.list_corpus_entries("pending")] == [ids[5], ids[3], ids[1]]
    assert [e.id for e in await db.list_corpus_entries("approved", limit=2)] == [ids[4], ids[2]]
    assert [e.id for e in await db.list_corpus_entries(limit=2, offset=2)] == [ids[3], ids[2]]
    assert await db.list_corpus_entries("rejected") == []
    assert await db.list_corpus_entries(offset=10) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "done"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
async def test_list_rejects_bad_arguments(db: Database, kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await db.list_corpus_entries(**kwargs)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sha256": "abc"}, "sha256"),
        ({"sha256": "A" * 64}, "sha256"),
        ({"text": "  \n "}, "text"),
        ({"source": "discord"}, "source"),
        ({"status": "maybe"}, "status"),
        ({"submitted_at": datetime(2024, 1, 1)}, "timezone"),
    ],
)
def test_invalid_new_entry_is_rejected(make_entry, overrides, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_entry(**overrides)


@pytest.mark.parametrize(
    ("column", "value"),
    [("source", "discord"), ("status", "approved "), ("status", "done"), ("sha256", "short")],
)
async def test_schema_rejects_bad_values_written_around_the_api(
    db: Database, write_around_api, schema_refusal, column: str, value: str
) -> None:
    values = {
        "sha256": "f" * 64,
        "text": "t",
        "chars": 1,
        "source": "import",
        "submitted_at": "2024-01-01T00:00:00.000000+00:00",
        "status": "pending",
    }
    values[column] = value
    with pytest.raises(schema_refusal):
        await write_around_api(
            f"INSERT INTO corpus_entries ({', '.join(values)})"
            f" VALUES ({', '.join('?' for _ in values)})",
            tuple(values.values()),
        )
    assert await db.corpus_counts() == {"pending": 0, "approved": 0, "rejected": 0}
