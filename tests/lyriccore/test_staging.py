"""Training into a staging folder: a killed run leaves no model behind, the next run picks up
where it stopped, and `lyriccore starter` only ever leaves a finished model at --out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lyriccore.checkpoint import BEST, read_checkpoint
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus
from lyriccore.history import EpochMetrics
from lyriccore.staging import staging_for, train_resumably


class Killed(Exception):
    """Stands in for a SIGKILL right after an epoch's checkpoint was written."""


def _kill_after_first_epoch(metrics: EpochMetrics) -> None:
    raise Killed


def test_a_killed_run_is_continued_from_its_last_epoch(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    config = TrainConfig(**{**tiny, "epochs": 3})
    staging = staging_for(tmp_path / "models" / "starter")
    with pytest.raises(Killed):
        train_resumably(
            small_corpus, config, staging, progress=False, on_epoch=_kill_after_first_epoch
        )
    first_epoch = read_checkpoint(staging / "last.pt")["metrics"]
    assert len(first_epoch) == 1

    result = train_resumably(small_corpus, config, staging, progress=False)
    history = read_checkpoint(staging / "last.pt")["metrics"]
    assert result.epochs_run == 3 and len(history) == 3
    assert history[:1] == first_epoch  # continued, not started again


def test_a_run_on_another_corpus_is_started_afresh(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    staging = tmp_path / "run"
    train_resumably(small_corpus, TrainConfig(**{**tiny, "epochs": 1}), staging, progress=False)
    other = Corpus(small_corpus.text[:6_000], 1, ("other",), False)
    result = train_resumably(other, TrainConfig(**{**tiny, "epochs": 1}), staging, progress=False)
    assert result.epochs_run == 1
    assert read_checkpoint(staging / "last.pt")["corpus_fingerprint"] == other.fingerprint


def test_the_starter_command_leaves_only_a_finished_model(tmp_path: Path) -> None:
    out = tmp_path / "models" / "starter"
    command = [sys.executable, "-m", "lyriccore.cli", "starter", "--out", str(out),
               "--max-minutes", "0.01", "--no-sample"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert (out / BEST).is_file()
    assert not staging_for(out).exists()
