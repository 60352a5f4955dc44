"""Training throughput on one rank and on several (torchrun + DistributedDataParallel).

Each configuration is a real `lyriccore train` process (under torchrun for more than one
rank), one pass over the char benchmark's text, capped by the trainer's own time budget; the
rate is the trainer's own: targets of every rank over rank 0's epoch time, so start-up,
rendezvous and validation are left out (the wall time with them is reported beside it).

On a CPU host every rank gets one thread, so 2 ranks on 2 cores are compared with 1 rank on
1 thread (what a rank costs) and with 1 rank on 2 threads (the same cores, used by BLAS
instead of by a second rank): that is throughput per core, not a speed-up from new hardware.
With GPUs, 1 rank and one rank per GPU run the default 2×512 char recipe over the whole file,
on NCCL, cuDNN and mixed precision.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

from bench.common import Contention, Context
from bench.train_speed import char_corpus
from lyriccore.launch import torchrun_command
from lyriccore.model import LyricsLSTM, ModelConfig
from lyriccore.starter import STARTER_RECIPE
from lyriccore.trainer import cpu_has_bf16

log = logging.getLogger(__name__)
RECIPE_KEYS = ("embed_dim", "hidden_size", "num_layers", "seq_len", "batch_size", "dropout", "lr")


def recipe_flags(gpu: bool) -> list[str]:
    """/retrain's recipe (the starter one) on CPUs; on GPUs the default char recipe (2×512)."""
    if gpu:
        return []
    config = STARTER_RECIPE.to_dict()
    return [f"--{k.replace('_', '-')}={config[k]}" for k in RECIPE_KEYS]


def one_run(
    ctx: Context, corpus: Path, ranks: int, threads: int, cap_s: float, gpu: bool
) -> dict[str, Any]:
    out = ctx.work_dir / f"ddp-{ranks}x{threads}"
    args = ["train", "--corpus", str(corpus), "--out", str(out), "--epochs", "1", "--quiet"]
    args += ["--threads", str(threads), "--max-minutes", str(cap_s / 60), *recipe_flags(gpu)]
    command = [sys.executable, "-m", "lyriccore", *args]
    if ranks > 1:
        command = torchrun_command(ranks, "lyriccore", args)
    log.info("ddp: %d rank(s) × %d thread(s), one pass", ranks, threads)
    watch, started = Contention(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=cap_s * 4 + 120)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{ranks} rank(s) failed: {done.stderr[-2000:]}")
    epoch = json.loads((out / "metrics.json").read_text())[-1]
    return {
        "ranks": ranks,
        "threads_per_rank": threads,
        "tokens_per_s": epoch["tokens_per_s"],
        "tokens_per_s_per_rank": epoch["tokens_per_s"] / ranks,
        "steps": epoch["step"],
        "epoch_seconds": epoch["epoch_seconds"],
        "wall_seconds": wall,
        "val_loss": epoch["val_loss"],
        "other_processes_cores": watch.report()["other_processes_cores"],
    }


def allreduce(text: str) -> dict[str, Any]:
    """One gloo all-reduce of the CPU recipe's gradients between 2 local ranks: DDP's own
    cost per step, apart from the compute (bench/allreduce.py)."""
    c = STARTER_RECIPE
    assert c.embed_dim is not None and c.hidden_size is not None
    model = LyricsLSTM(ModelConfig(len(set(text)) + 1, c.embed_dim, c.hidden_size, c.num_layers))
    numel = sum(p.numel() for p in model.parameters())
    command = torchrun_command(2, "bench.allreduce", [str(numel)])
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"all-reduce failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def wanted(ctx: Context) -> tuple[tuple[int, int], ...]:
    gpus = torch.cuda.device_count()
    if gpus:
        return ((1, 1), (gpus, 1)) if gpus > 1 else ((1, 1),)
    return ctx.sizes.ddp_runs


def ddp_training(ctx: Context) -> dict[str, Any]:
    gpus = torch.cuda.device_count()
    corpus = ctx.work_dir / "ddp-corpus.txt"
    text = ctx.text if gpus else char_corpus(ctx).text
    corpus.write_text(text, encoding="utf-8")
    runs = [one_run(ctx, corpus, r, t, ctx.sizes.char_cap_s, gpus > 0) for r, t in wanted(ctx)]
    by = {(r["ranks"], r["threads_per_rank"]): r["tokens_per_s"] for r in runs}
    ratios = {}
    if {(1, 1), (1, 2), (2, 1)} <= set(by):
        ratios = {
            "2_ranks_vs_1_rank_1_thread": by[(2, 1)] / by[(1, 1)],
            "2_ranks_vs_1_rank_2_threads": by[(2, 1)] / by[(1, 2)],
            "per_rank_efficiency": by[(2, 1)] / 2 / by[(1, 1)],
        }
    return {
        "device": torch.cuda.get_device_name(0) if gpus else "cpu",
        "backend": "nccl" if gpus else "gloo",
        "native_bf16_cpu": cpu_has_bf16(),
        "corpus_chars": len(text),
        "recipe": "default char (2x512)" if gpus else "starter/retrain (2x256, batch 32 per rank)",
        "cap_seconds": ctx.sizes.char_cap_s,
        "runs": runs,
        "ratios": ratios,
        "gradient_allreduce_2_ranks": None if gpus else allreduce(text),
    }
