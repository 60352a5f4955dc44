"""The benchmark command runs end to end and reports every figure (tiny sizes)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"


@pytest.mark.skipif(not (DATA / "tinyshakespeare.txt").is_file(), reason="no shared data here")
def test_quick_bench_prints_a_complete_json_report(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--threads",
            "1",
            "--out",
            str(tmp_path / "b.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert set(report["benchmarks"]) >= {"char_training", "word_training", "generation", "latency"}
    assert report["benchmarks"]["generation"]["char_1_stream"]["chars_per_s"] > 0
    assert json.loads((tmp_path / "b.json").read_text()) == report


def test_a_missing_data_folder_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--data-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "tinyshakespeare.txt" in result.stderr
