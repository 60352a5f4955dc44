"""`lyricbot` as an operator runs it: one-line errors, export, doctor, backup and restore."""

import csv
import json
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


def test_run_without_a_token_or_with_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    result = lyricbot(tmp_path, "run")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DISCORD_TOKEN is not set" in result.stderr and "lyricbot console" in result.stderr
    (tmp_path / ".env").write_text("DISCORD_TOKEN=abc\nLYRICBOT_QUEUE_SIZE=many\n")
    result = lyricbot(tmp_path, "run")
    assert result.returncode == 2 and "LYRICBOT_QUEUE_SIZE='many' is invalid" in result.stderr
    assert "abc" not in result.stderr and "Traceback" not in result.stderr


async def test_export_writes_the_joined_log(tmp_path: Path, services, write) -> None:
    answer = await write(services, LyricsRequest(seed="export me", lines=1, rng_seed=4))
    await services.ratings.rate(answer.generation_id, 5, 4)
    env = {"LYRICBOT_DB": str(services.settings.db_path)}
    out = tmp_path / "log.csv"
    result = lyricbot(tmp_path, "export", "--format", "csv", "--out", str(out), **env)
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["seed"] == "export me" and rows[0]["rating_mean"] == "4.0"
    jsonl = lyricbot(tmp_path, "export", "--format", "jsonl", **env)
    assert json.loads(jsonl.stdout.splitlines()[0])["rng_seed"] == 4


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
