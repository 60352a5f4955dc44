"""`lyricbot` on PostgreSQL, as an operator moving to it runs it: migrate an existing SQLite
installation over (counts and checksums printed), then export, doctor, backup and restore
with `LYRICBOT_DATABASE_URL` pointing at the real server the harness started."""

import json
from pathlib import Path

from test_lyricbot_cli import lyricbot

from bot.services.lyrics import LyricsRequest
from bot.storage import Database, NewGeneration


async def test_migrate_then_operate_on_postgres(
    tmp_path: Path, services, write, postgres_url: str
) -> None:
    answer = await write(services, LyricsRequest(seed="move me", lines=1, rng_seed=3))
    await services.ratings.rate(answer.generation_id, 5, 4)
    await services.ratings.rate(answer.generation_id, 1_300_000_000_000_000_003, 2)
    sqlite_url = f"sqlite:///{services.settings.db_path}"

    moved = lyricbot(tmp_path, "migrate", "--from", sqlite_url, "--to", postgres_url)
    assert moved.returncode == 0, moved.stderr
    assert "generations: 1 -> 1 rows" in moved.stdout and "ratings: 2 -> 2 rows" in moved.stdout
    assert "every table matches" in moved.stdout and "MISMATCH" not in moved.stdout
    again = lyricbot(tmp_path, "migrate", "--from", sqlite_url, "--to", postgres_url)
    assert again.returncode == 2 and "already holds" in again.stderr

    models = str(services.settings.models_dir)
    env = {"LYRICBOT_DATABASE_URL": postgres_url, "LYRICBOT_MODELS": models}
    exported = lyricbot(tmp_path, "export", "--format", "jsonl", **env)
    row = json.loads(exported.stdout.splitlines()[0])
    assert (row["seed"], row["rng_seed"], row["rating_mean"]) == ("move me", 3, 3.0)
    doctor = lyricbot(tmp_path, "doctor", DISCORD_TOKEN="x", **env)
    assert doctor.returncode == 0, doctor.stdout
    assert "database integrity: ok" in doctor.stdout

    made = lyricbot(tmp_path, "backup", str(tmp_path / "backups"), **env)
    assert made.returncode == 0, made.stderr
    folder = Path(made.stdout.split("backup written to ")[1].strip())
    async with await Database.open(postgres_url) as db:  # written after the backup
        later = await db.record_generation(_later_generation(answer.generation_id))
    restored = lyricbot(tmp_path, "restore", str(folder), **env)
    assert restored.returncode == 0, restored.stderr
    async with await Database.open(postgres_url) as db:
        assert await db.get_generation(later) is None
        kept = await db.get_generation(answer.generation_id)
        assert kept is not None and kept.seed == "move me"
        assert await db.ratings_for(answer.generation_id) == {5: 4, 1_300_000_000_000_000_003: 2}
        # Numbering resumes above the restored ids.
        assert await db.record_generation(_later_generation(None)) == answer.generation_id + 1


def _later_generation(parent: int | None) -> NewGeneration:
    return NewGeneration(
        source="console", seed="later", params={}, model_version="starter", status="ok",
        parent_id=parent,
    )  # fmt: skip
