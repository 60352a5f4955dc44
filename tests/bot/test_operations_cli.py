"""`lyricbot doctor`, `backup` and `restore` as an operator runs them."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.services.lyrics import LyricsRequest


def lyricbot(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "LYRICBOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, "LYRICBOT_LOG_LEVEL": "WARNING", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_backup_then_restore_brings_back_the_log_and_model(
    tmp_path: Path, services, write
) -> None:
    answer = await write(services, LyricsRequest(seed="keep me", lines=1))
    env = {
        "LYRICBOT_DB": str(services.settings.db_path),
        "LYRICBOT_MODELS": str(services.settings.models_dir),
    }
    made = lyricbot(tmp_path, "backup", str(tmp_path / "backups"), **env)
    assert made.returncode == 0, made.stderr
    folder = Path(made.stdout.split("backup written to ")[1].strip())
    assert (folder / "models" / "starter" / "best.pt").is_file()
    with sqlite3.connect(folder / "lyricbot.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    fresh = {
        "LYRICBOT_DB": str(tmp_path / "new" / "bot.db"),
        "LYRICBOT_MODELS": str(tmp_path / "m"),
    }
    restored = lyricbot(tmp_path, "restore", str(folder), **fresh)
    assert restored.returncode == 0, restored.stderr
    with sqlite3.connect(fresh["LYRICBOT_DB"]) as db:
        seeds = [row[0] for row in db.execute("SELECT seed FROM generations")]
    assert seeds == ["keep me"] and answer.generation_id == 1
    doctor = lyricbot(tmp_path, "doctor", DISCORD_TOKEN="x", **fresh)
    assert doctor.returncode == 0, doctor.stdout
    assert "database integrity: ok" in doctor.stdout and "serving starter" in doctor.stdout


def test_doctor_names_what_is_wrong(tmp_path: Path) -> None:
    models = tmp_path / "models" / "starter"
    models.mkdir(parents=True)
    (models / "best.pt").write_bytes(b"truncated")
    (tmp_path / "bad.db").write_text("not a database")
    env = {"LYRICBOT_DB": str(tmp_path / "bad.db"), "LYRICBOT_MODELS": str(tmp_path / "models")}
    result = lyricbot(tmp_path, "doctor", **env)
    assert result.returncode == 1
    assert "FAIL  settings read; DISCORD_TOKEN missing" in result.stdout
    assert "not a SQLite database" in result.stdout
    assert "cannot load" in result.stdout and "corrupt" in result.stdout
    bad = lyricbot(tmp_path, "restore", str(tmp_path))
    assert bad.returncode == 2 and "not a lyricbot backup" in bad.stderr
