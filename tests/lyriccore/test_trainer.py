import json
import math
from pathlib import Path

import pytest
import torch

from lyriccore.checkpoint import BEST, LAST, read_checkpoint
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus
from lyriccore.errors import ConfigError, CorpusError
from lyriccore.trainer import train


def test_training_learns_and_writes_a_complete_run_folder(char_model: Path) -> None:
    metrics = json.loads((char_model / "metrics.json").read_text())
    assert [m["epoch"] for m in metrics] == [1, 2]
    assert metrics[-1]["val_loss"] < math.log(60)  # far better than uniform guessing
    assert metrics[-1]["val_bpc"] == pytest.approx(metrics[-1]["val_loss"] / math.log(2))
    assert (char_model / "metrics.csv").read_text().startswith("epoch,step,train_loss")
    best = read_checkpoint(char_model / BEST)
    for key in ("model_config", "tokenizer", "state_dict", "train_config", "metrics"):
        assert key in best
    assert len(best["corpus_fingerprint"]) == 64
    assert "optimizer" in read_checkpoint(char_model / LAST)
    assert not list(char_model.glob("*.tmp")) and not list(char_model.glob(".*.tmp"))


def test_same_seed_gives_the_same_model(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    config = TrainConfig(**{**tiny, "epochs": 1})
    train(small_corpus, config, tmp_path / "a", progress=False)
    train(small_corpus, config, tmp_path / "b", progress=False)
    a = read_checkpoint(tmp_path / "a" / BEST)["state_dict"]
    b = read_checkpoint(tmp_path / "b" / BEST)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_continues_exactly(
    tmp_path: Path, small_corpus: Corpus, char_model: Path, tiny: dict[str, int]
) -> None:
    config = TrainConfig(**tiny)  # the char_model fixture ran these 2 epochs straight
    train(small_corpus, TrainConfig(**{**tiny, "epochs": 1}), tmp_path, progress=False)
    result = train(small_corpus, config, tmp_path, resume=True, progress=False)
    assert result.epochs_run == 2
    resumed = read_checkpoint(tmp_path / LAST)
    straight = read_checkpoint(char_model / LAST)
    assert resumed["metrics"][-1]["val_loss"] == straight["metrics"][-1]["val_loss"]
    assert all(torch.equal(resumed["state_dict"][k], v) for k, v in straight["state_dict"].items())


def test_an_existing_run_is_never_overwritten(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    config = TrainConfig(**{**tiny, "epochs": 1})
    train(small_corpus, config, tmp_path, progress=False)
    with pytest.raises(ConfigError, match="--resume"):
        train(small_corpus, config, tmp_path, progress=False)
    other = Corpus(small_corpus.text[::-1], 1, (), False)
    with pytest.raises(CorpusError, match="differs"):
        train(other, config, tmp_path, resume=True, progress=False)


def test_time_budget_and_early_stopping_end_a_run(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    quick = TrainConfig(**{**tiny, "epochs": 50, "max_minutes": 0.0001})
    result = train(small_corpus, quick, tmp_path / "t", progress=False)
    assert result.stopped == "time budget" and result.epochs_run == 1
    assert (tmp_path / "t" / BEST).exists()
    # lr so high the loss diverges: patience 1 stops after the first non-improving epoch.
    wild = TrainConfig(**{**tiny, "epochs": 20, "patience": 1, "lr": 1.0, "warmup_steps": 0})
    result = train(small_corpus, wild, tmp_path / "e", progress=False)
    assert result.stopped == "early stopping" and result.epochs_run < 20


def test_bad_settings_are_refused_before_training(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    with pytest.raises(ConfigError, match="lr"):
        train(small_corpus, TrainConfig(lr=0), tmp_path, progress=False)
    with pytest.raises(CorpusError, match="one batch needs"):
        train(small_corpus, TrainConfig(batch_size=512, seq_len=512), tmp_path, progress=False)


def test_mixed_precision_on_cpu_is_bf16_or_a_clear_refusal(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    bf16 = TrainConfig(**{**tiny, "epochs": 1, "amp": "bf16", "device": "cpu"})
    assert train(small_corpus, bf16, tmp_path / "bf16", progress=False).epochs_run == 1
    fp16 = TrainConfig(**{**tiny, "epochs": 1, "amp": "fp16", "device": "cpu"})
    with pytest.raises(ConfigError, match="fp16 needs a CUDA GPU"):
        train(small_corpus, fp16, tmp_path / "fp16", progress=False)
