"""Training on two CPU ranks (torchrun, gloo) as a user starts it: real processes, real files.

Each torchrun start costs a few seconds (two interpreters importing torch, a rendezvous), so
the tests start as few as they can and train tiny models.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from lyriccore.batching import split_train_val
from lyriccore.checkpoint import BEST, LAST, load_model, read_checkpoint
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus, load_corpus, normalise
from lyriccore.generator import Generator
from lyriccore.sampling import SamplingParams
from lyriccore.trainer import train

RANKS = 2
NO_NOISE = {"dropout": 0.0, "input_dropout": 0.0, "embed_dropout": 0.0, "weight_drop": 0.0}


def cli_flags(config: dict[str, object]) -> list[str]:
    return [f"--{name.replace('_', '-')}={value}" for name, value in config.items()]


def torchrun(*args: str | Path, restarts: int = 0) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += [f"--nproc-per-node={RANKS}", f"--max-restarts={restarts}", "-m", "lyriccore"]
    return subprocess.Popen(
        [*command, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finished(process: subprocess.Popen[str]) -> str:
    stdout, stderr = process.communicate(timeout=180)
    assert process.returncode == 0, stderr[-3000:]
    return stdout


def one_step_corpus(folder: Path, lanes: int, seq_len: int, text: str) -> Path:
    """A text whose training split fills `lanes` lanes of exactly seq_len + 1 tokens, so one
    epoch is one step whatever its window offset."""
    for length in range(lanes * (seq_len + 1), len(text)):
        doc = normalise(text[:length])
        train_ids, _ = split_train_val(torch.arange(len(doc)), 0.3, blocks=1)
        if len(train_ids) // lanes == seq_len + 1:
            path = folder / "one-step.txt"
            path.write_text(doc, encoding="utf-8")
            return path
    raise AssertionError("no length fits")


def test_one_step_on_two_ranks_equals_one_process_seeing_both_ranks_columns(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    config = {**tiny, **NO_NOISE, "epochs": 1, "val_fraction": 0.3, "val_blocks": 1}
    config.update(amp="off", device="cpu")
    path = one_step_corpus(tmp_path, RANKS * tiny["batch_size"], tiny["seq_len"], small_corpus.text)
    # the user's way in: `lyriccore train --nproc 2` execs torchrun
    command = [sys.executable, "-m", "lyriccore", "train", "--nproc", str(RANKS), "--quiet"]
    ranks = subprocess.run(
        [*command, "--corpus", str(path), "--out", str(tmp_path / "ddp"), *cli_flags(config)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ranks.returncode == 0, ranks.stderr[-3000:]
    assert ranks.stdout.count("epoch   1") == 1  # rank 0 alone reports
    both = {**config, "batch_size": RANKS * tiny["batch_size"]}
    train(load_corpus(path), TrainConfig(**both), tmp_path / "one", progress=False)
    distributed, single = (read_checkpoint(tmp_path / run / BEST) for run in ("ddp", "one"))
    assert distributed["metrics"][0]["step"] == single["metrics"][0]["step"] == 1
    for name, weights in single["state_dict"].items():
        assert torch.allclose(distributed["state_dict"][name], weights, rtol=1e-5, atol=1e-6)


def test_two_ranks_reach_the_validation_loss_of_one_process(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    path = tmp_path / "songs.txt"
    path.write_text(small_corpus.text, encoding="utf-8")
    config = {**tiny, "epochs": 3}
    ranks = torchrun("train", "--corpus", path, "--out", tmp_path / "ddp", *cli_flags(config))
    both = TrainConfig(**{**config, "batch_size": RANKS * tiny["batch_size"]})
    single = train(load_corpus(path), both, tmp_path / "one", progress=False)
    assert "stopped: epochs" in finished(ranks)
    history = json.loads((tmp_path / "ddp" / "metrics.json").read_text())
    assert [m["epoch"] for m in history] == [1, 2, 3]
    assert history[-1]["val_loss"] == pytest.approx(single.best_val_loss, abs=0.03)
    # dropout masks differ by rank, so the curves are close, not equal
    assert history[-1]["val_loss"] != single.best_val_loss


def rank_pid(launcher: int, local_rank: int, within: float = 60.0) -> int:
    """The worker torchrun started for `local_rank`, found as an operator would (/proc)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                environ = (entry / "environ").read_bytes().split(b"\0")
            except (OSError, ValueError, IndexError):
                continue
            if ppid == launcher and f"LOCAL_RANK={local_rank}".encode() in environ:
                return int(entry.name)
        time.sleep(0.05)
    raise AssertionError(f"no rank {local_rank} under {launcher}")


def wait_for_epoch(out: Path, epoch: int, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if json.loads((out / "metrics.json").read_text())[-1]["epoch"] >= epoch:
            return  # metrics.json is replaced whole (history.py): never read half-written
        time.sleep(0.05)
    raise AssertionError(f"epoch {epoch} never finished")


def test_a_run_moves_between_world_sizes_and_survives_a_killed_rank(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    path, out = tmp_path / "songs.txt", tmp_path / "run"
    path.write_text(small_corpus.text, encoding="utf-8")
    config = {**tiny, "patience": 100}
    corpus = load_corpus(path)
    train(corpus, TrainConfig(**{**config, "epochs": 1}), out, progress=False)  # one process
    ranks = torchrun(
        "train", "--corpus", path, "--out", out, "--resume", *cli_flags({**config, "epochs": 14}),
        restarts=1,
    )  # fmt: skip
    wait_for_epoch(out, 2)
    os.kill(rank_pid(ranks.pid, 1), signal.SIGKILL)  # torchrun restarts both ranks
    assert "stopped: epochs" in finished(ranks)
    result = train(corpus, TrainConfig(**{**config, "epochs": 15}), out, resume=True)
    assert result.epochs_run == 15  # and back on one process
    history = read_checkpoint(out / LAST)["metrics"]
    assert [m["epoch"] for m in history] == list(range(1, 16))
    assert load_model(out).version.startswith("run:")
    text = Generator.from_path(out).generate("we ", SamplingParams(lines=2, rng_seed=3)).texts[0]
    assert text.startswith("we ")
