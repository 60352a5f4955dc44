"""The audit log of privileged commands: who tried what, where, and whether it was allowed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.storage import Database

OWNER, STRANGER, GUILD = 1_000_000_000_000_000_001, 1_000_000_000_000_000_002, 42


async def test_entries_are_recorded_and_listed_newest_first(db: Database) -> None:
    before = datetime.now(UTC)
    first = await db.record_audit(action="retrain", allowed=True, user_id=OWNER, guild_id=GUILD)
    second = await db.record_audit(
        action="corpus approve", allowed=False, user_id=STRANGER, guild_id=GUILD, detail="entry 3"
    )
    cli = await db.record_audit(action="corpus reject", allowed=True, detail="entry 4 from CLI")

    entries = await db.audit_entries()
    assert [e.id for e in entries] == [cli, second, first]
    newest, refused, oldest = entries
    assert (refused.action, refused.allowed, refused.user_id, refused.guild_id, refused.detail) == (
        "corpus approve",
        False,
        STRANGER,
        GUILD,
        "entry 3",
    )
    assert (oldest.allowed, oldest.detail) == (True, None)
    assert (newest.user_id, newest.guild_id) == (None, None)
    assert all(before <= e.at <= datetime.now(UTC) for e in entries)
    assert oldest.allowed is True and refused.allowed is False  # real booleans, not 0/1


async def test_limit_keeps_the_newest(db: Database) -> None:
    ids = [await db.record_audit(action="retrain", allowed=i % 2 == 0) for i in range(60)]
    assert [e.id for e in await db.audit_entries()] == ids[::-1][:50]
    assert [e.id for e in await db.audit_entries(limit=3)] == ids[::-1][:3]
    with pytest.raises(ValueError, match="limit"):
        await db.audit_entries(limit=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "retrain", "allowed": 1}, "allowed"),
        ({"action": "retrain", "allowed": None}, "allowed"),
        ({"action": "  ", "allowed": True}, "action"),
    ],
)
async def test_bad_entries_are_refused(db: Database, kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await db.record_audit(**kwargs)
    assert await db.audit_entries() == []


@pytest.mark.parametrize("allowed", [2, -1, "yes"])
async def test_schema_rejects_bad_allowed_written_around_the_api(
    db: Database, write_around_api, schema_refusal, allowed: object
) -> None:
    with pytest.raises(schema_refusal):
        await write_around_api(
            "INSERT INTO audit_log (at, action, allowed) VALUES ('2024-01-01', 'retrain', ?)",
            (allowed,),
        )
    assert await db.audit_entries() == []
