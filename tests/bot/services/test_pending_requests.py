"""Held requests without Discord: what a restart answers, what it closes as lost, and that
no interaction token outlives its request — in the database, a backup, or a log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.services.container import Services
from bot.services.lyrics import LyricsRequest
from bot.services.pending import LOST_AT_RESTART
from bot.storage import Database

TOKEN = "secret.interaction-token-42"


async def _held(services: Services, interaction_id: int, age: timedelta) -> None:
    request = LyricsRequest(seed="hold me", lines=2, user_id=7, interaction_id=interaction_id)
    admission = services.lyrics.admit(request)
    await services.pending.hold(
        admission,
        application_id=1,
        token=TOKEN,
        created_at=datetime.now(UTC) - age,
    )
    await services.pending.placed(admission, 1000 + interaction_id)
    await services.lyrics.withdraw(admission)  # as if the process had died here


async def test_a_restart_answers_young_requests_alike_and_closes_old_ones_as_lost(
    services: Services, write
) -> None:
    await _held(services, 1, timedelta(minutes=2))
    await _held(services, 2, timedelta(minutes=20))
    live = await services.pending.stranded()
    assert [p.interaction_id for p in live] == [1]
    assert TOKEN not in repr(live)  # a held request can be logged without its secret

    first = await services.lyrics.write(services.pending.readmit(live[0]))
    again = await services.lyrics.write(services.pending.readmit(live[0]))
    assert first.text == again.text and first.params.rng_seed == again.params.rng_seed

    rows = [row async for row in services.db.export_rows()]
    lost = [r for r in rows if r["interaction_id"] == 2]
    assert [(r["status"], r["error"]) for r in lost] == [("cancelled", LOST_AT_RESTART)]
    assert [p.interaction_id for p in await services.db.pending_requests()] == [1]


async def test_released_requests_and_backups_keep_no_token(
    services: Services, tmp_path: Path
) -> None:
    await _held(services, 3, timedelta(seconds=5))
    await _held(services, 4, timedelta(seconds=5))
    target = tmp_path / "backup.sqlite3"
    await services.db.backup_to(target)
    assert TOKEN.encode() not in target.read_bytes()
    async with await Database.open(target) as copy:
        assert await copy.pending_requests() == []

    for pending in await services.pending.stranded():
        await services.db.forget_pending(pending.interaction_id)
    await services.db.close()
    files = [services.settings.db_path, Path(f"{services.settings.db_path}-wal")]
    assert not any(TOKEN.encode() in f.read_bytes() for f in files if f.exists())


async def test_a_request_written_again_keeps_the_preset_it_was_given(services: Services) -> None:
    request = await services.presets.choose(
        LyricsRequest(seed="hold me", lines=2, guild_id=5, interaction_id=9)
    )
    admission = services.lyrics.admit(request)
    await services.pending.hold(
        admission, application_id=1, token=TOKEN, created_at=datetime.now(UTC)
    )
    await services.pending.placed(admission, 1009)
    await services.lyrics.withdraw(admission)
    other = "wild" if request.preset != "wild" else "calm"
    await services.presets.pin(5, other, by=1)  # a fresh pick would now be `other`
    (pending,) = await services.pending.stranded()
    again = services.pending.readmit(pending)
    assert again.request.preset == request.preset and again.params == admission.params
    answer = await services.lyrics.write(again)
    row = await services.db.get_generation(answer.generation_id)
    assert row is not None and row.params["preset"] == request.preset
    assert f"preset {request.preset}" in answer.summary()
