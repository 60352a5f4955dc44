"""`python -m bot.training.worker`: train a candidate on the approved corpus, then score it and
the serving model on the same held-out text. Runs in its own (niced) process: a crash or kill
here can never touch the model the bot serves.

Under torchrun every rank runs this module and trains; rank 0 alone reports progress, scores
and gives the verdict, so the bot reads the same events from one process or from many.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from bot.training.protocol import Progress, Verdict, encode
from lyriccore.checkpoint import load_model
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus, load_corpus
from lyriccore.distributed import World, joined_world
from lyriccore.errors import LyricCoreError
from lyriccore.evaluate import score_corpus
from lyriccore.history import EpochMetrics
from lyriccore.staging import train_resumably
from lyriccore.starter import STARTER_RECIPE
from lyriccore.trainer import TrainResult, train


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bot.training.worker")
    parser.add_argument("--corpus", type=Path, required=True, help="approved training text")
    parser.add_argument("--heldout", type=Path, required=True, help="fixed held-out songs")
    parser.add_argument("--out", type=Path, required=True, help="staging folder")
    parser.add_argument("--serving", type=Path, help="the serving model, to compare with")
    parser.add_argument("--level", choices=["char", "word"], default="char")
    parser.add_argument("--epochs", type=int, default=STARTER_RECIPE.epochs)
    parser.add_argument("--max-minutes", type=float)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--resume", action="store_true", help="continue the unfinished run in --out, if any"
    )
    return parser.parse_args(argv)


def recipe(args: argparse.Namespace) -> TrainConfig:
    """The starter recipe suits the small corpora a bot collects; words need their defaults."""
    base = STARTER_RECIPE if args.level == "char" else TrainConfig(level="word", min_freq=1)
    return TrainConfig.from_dict(
        {
            **base.to_dict(),
            "epochs": args.epochs,
            "max_minutes": args.max_minutes,
            "threads": args.threads,
        }
    )


class ProgressReporter:
    """One progress event per epoch on stdout. The ETA is the sooner of the epochs left at
    this run's pace and the time budget left; a resumed run's pace counts its own epochs."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.started = time.monotonic()
        self.first_epoch: int | None = None

    def __call__(self, metrics: EpochMetrics) -> None:
        if self.first_epoch is None:
            self.first_epoch = metrics.epoch
        elapsed = time.monotonic() - self.started
        pace = elapsed / (metrics.epoch - self.first_epoch + 1)
        eta = pace * (self.config.epochs - metrics.epoch)
        if self.config.max_minutes is not None:
            eta = max(0.0, min(eta, self.config.max_minutes * 60 - elapsed))
        progress = Progress(
            metrics.epoch, self.config.epochs, metrics.train_loss, metrics.val_loss, eta
        )
        print(encode("progress", progress), flush=True)


def fit(args: argparse.Namespace, corpus: Corpus, config: TrainConfig, world: World) -> TrainResult:
    """Train as this process's rank; a rank that torchrun restarted after a failure continues
    from the run's last snapshot, as a first model does after a bot restart."""
    on_epoch = ProgressReporter(config)
    if args.resume or world.restarts:
        return train_resumably(
            corpus, config, args.out, progress=False, on_epoch=on_epoch, world=world
        )
    return train(corpus, config, args.out, progress=False, on_epoch=on_epoch, world=world)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        corpus = load_corpus(args.corpus)
        heldout = load_corpus(args.heldout)
        config = recipe(args)
        with joined_world(config.device) as world:
            result = fit(args, corpus, config, world)
        if result.stopped == "interrupted":  # Ctrl-C in a console: no verdict, no model
            print("training interrupted", file=sys.stderr)
            return 130
        if not world.is_main:
            return 0
        candidate = score_corpus(load_model(args.out), heldout)
        serving = score_corpus(load_model(args.serving), heldout) if args.serving else None
    except LyricCoreError as exc:
        print(f"training failed: {exc}", file=sys.stderr)
        return 2
    verdict = Verdict(
        candidate_bpc=candidate.bits_per_char,
        serving_bpc=serving.bits_per_char if serving else None,
        best_val_loss=result.best_val_loss,
        epochs_run=result.epochs_run,
        stopped=result.stopped,
    )
    print(encode("verdict", verdict), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
