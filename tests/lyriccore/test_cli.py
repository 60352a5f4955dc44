"""The CLI as a user runs it: a real process, real files, exit codes and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lyriccore.cli import main


def lyriccore(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lyriccore.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory: pytest.TempPathFactory, small_corpus) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "songs.txt"
    path.write_text(small_corpus.text, encoding="utf-8")
    return path


def test_train_resume_generate_evaluate_info(tmp_path: Path, corpus_file: Path) -> None:
    out = tmp_path / "run"
    tiny = ["--embed-dim", "16", "--hidden-size", "32", "--seq-len", "32", "--batch-size", "8"]
    tiny += ["--threads", "1"]
    first = lyriccore("train", "--corpus", corpus_file, "--out", out, "--epochs", "1", *tiny)
    assert first.returncode == 0, first.stderr
    assert "epoch   1" in first.stdout
    again = lyriccore("train", "--corpus", corpus_file, "--out", out, "--epochs", "2", "--resume")
    assert again.returncode == 0, again.stderr
    assert "epoch   2" in again.stdout and "epoch   1" not in again.stdout
    gen = lyriccore(
        "generate",
        "--model",
        out,
        "--seed",
        "we drift",
        "--rng-seed",
        "7",
        "--lines",
        "3",
        "--top-k",
        "5",
        "--anneal",
        "1.0:0.5",
        "--json",
    )
    assert gen.returncode == 0, gen.stderr
    result = json.loads(gen.stdout)
    assert result["rng_seed"] == 7 and result["texts"][0].startswith("we drift")
    ev = lyriccore("evaluate", "--model", out, "--corpus", corpus_file, "--samples", "2")
    report = json.loads(ev.stdout)
    assert report["perplexity"] > 1 and 0 <= report["samples"]["distinct_1"] <= 1
    assert "bits_per_char" in report
    info = json.loads(lyriccore("info", "--model", out).stdout)
    assert len(info["metrics"]) == 2 and info["level"] == "char"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--corpus", "/nonexistent", "--out", "x"], "corpus not found"),
        (["generate", "--model", "/nonexistent"], "no checkpoint"),
        (["generate", "--model", ".", "--temperature", "7"], "outside 0.05..3"),
        (["generate", "--model", ".", "--anneal", "hot"], "START:END"),
    ],
)
def test_errors_are_one_clear_line(args: list[str], message: str) -> None:
    result = lyriccore(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_checkpoint_and_short_corpus(tmp_path: Path) -> None:
    (tmp_path / "best.pt").write_bytes(b"\x00" * 100)
    result = lyriccore("generate", "--model", tmp_path)
    assert result.returncode == 2 and "corrupt" in result.stderr
    (tmp_path / "tiny.txt").write_text("just one line\n")
    result = lyriccore("train", "--corpus", tmp_path / "tiny.txt", "--out", tmp_path / "r")
    assert result.returncode == 2 and "too short" in result.stderr


def test_tune_prints_a_ranked_table_and_json(tmp_path: Path, corpus_file: Path) -> None:
    base = "embed_dim=16,hidden_size=32,seq_len=32,batch_size=8,epochs=1"
    trials = ["--trial", "", "--trial", "weight_drop=0.3,average=ema"]
    out = lyriccore(
        "tune", "--corpus", corpus_file, "--base", base, *trials, "--minutes", "0.2",
        "--threads", "1", "--json", tmp_path / "t.json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = json.loads((tmp_path / "t.json").read_text())
    assert {r["trial"] for r in rows} == {"(defaults)", "weight_drop=0.3,average=ema"}
    assert [r["best_val_loss"] for r in rows] == sorted(r["best_val_loss"] for r in rows)
    assert (
        out.stdout.splitlines()[0].split()[:2] == ["val", "loss"]
        and len(out.stdout.splitlines()) == 3
    )


def test_a_tune_trial_naming_no_setting_fails_before_training(
    corpus_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tune", "--corpus", str(corpus_file), "--trial", "weight_dorp=0.2"]) == 2
    assert "weight_dorp" in capsys.readouterr().err
