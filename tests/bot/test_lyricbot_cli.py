"""`lyricbot` as an operator runs it: one-line errors, and the export of the log."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from bot.services.lyrics import LyricsRequest


def lyricbot(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "LYRICBOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **env},
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
