"""The benchmark command runs end to end and reports every figure (tiny sizes)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"


@pytest.mark.skipif(not (DATA / "tinyshakespeare.txt").is_file(), reason="no shared data here")
@pytest.mark.timeout(510)
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
        timeout=480,  # a loaded 2-core machine took 285 s with the ddp section, + ~25 s forms
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    benchmarks = report["benchmarks"]
    assert set(benchmarks) >= {"char_training", "word_training", "generation", "latency"}
    assert benchmarks["generation"]["char_1_stream"]["chars_per_s"] > 0
    same = benchmarks["generation"]["char_same_text_as_plain_path"]
    assert same["identical"] == same["requests"] > 0
    assert benchmarks["serving_service"]["lyrics_2_users"]["p95_ms"] > 0
    discord = benchmarks["serving_discord"]
    assert discord["during_retrain"]["training_ran_throughout"]
    assert discord["loop_lag_ms"]["samples"] > 0
    song_form = benchmarks["serving_discord_song_form"]
    assert song_form["auto"]["requests"] == song_form["fp32"]["requests"] > 0
    assert song_form["auto"]["chars_per_answer"] > 0
    curves = report["benchmarks"]["bf16_curves"]
    assert len(curves["val_loss"]["fp32"]) == len(curves["val_loss"]["bf16"]) == 2
    assert (tmp_path / "curves.png").stat().st_size > 0
    quality = report["benchmarks"]["quality"]
    assert quality["best_val_loss"] == min(point["val_loss"] for point in quality["curve"])
    cross = report["benchmarks"]["cross_style"]
    assert set(cross["recipes"]) == {"defaults", "before_issue_15"}
    assert all(r["cross_style_nll"] > 0 for r in cross["recipes"].values())
    songs = report["benchmarks"]["songs"]["generation_char_model"]
    assert songs["ABAB"]["real_word_rate"] == 1.0 and songs["cost"]["ratio_one_request"] > 0
    styles = report["benchmarks"]["styles"]
    assert styles["styles"] == 19 and len(styles["heldout_nll_per_token"]) > 10
    assert styles["classifier_on_heldout_songs"] > 2 * styles["chance"]  # the judge can judge
    assert styles["classifier_on_whole_heldout_songs"] > 2 * styles["chance"]
    assert 0 <= styles["classifier_on_generated_asked_style"]["top1"] <= 1
    assert len(styles["classifier_on_generated_songs"]["per_style"]) == 19
    assert sum(styles["example_we_drift_blues"]["named"].values()) == 5
    bandit = report["benchmarks"]["bandit"]
    assert bandit["curve"][-1]["ratings"] == 300 and bandit["curve"][-1]["best_share"] >= 0.8
    assert (tmp_path / "bandit.png").stat().st_size > 0
    ddp = benchmarks["ddp_training"]["runs"]
    assert [run["ranks"] for run in ddp] == [2] and ddp[0]["tokens_per_s"] > 0
    weights = report["benchmarks"]["serving_weights"]
    assert weights["generation"]["char_1_stream_ratio"] > 0
    assert weights["steps"]["char_19_styles"]["1"]["int8_us"] > 0
    assert all(abs(q["relative_change"]) < 0.005 for q in weights["quality"].values())
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
