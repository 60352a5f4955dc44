"""`python -m bench [SUITE] [--quick]` (SUITE: all, train, ddp, generate, serve, curves, quality,
crossstyle, songs, styles, bandit, databases, weights, forms): run lyricbot's benchmarks and
print one JSON report (also written to bench/results/latest.json).

Progress goes to stderr; the report is the only thing on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from bench.bandit import bandit
from bench.common import (
    DEFAULT_DATA_DIR,
    RESULTS,
    BenchError,
    Contention,
    Context,
    Sizes,
    machine_info,
    others_now,
    read_data,
    write_report,
)
from bench.concurrency import discord, discord_song_form, service
from bench.crossstyle import cross_style
from bench.curves import curves
from bench.databases import databases
from bench.ddp import ddp_training
from bench.generate_speed import generation
from bench.latency import latency
from bench.quality import quality
from bench.songs import songs
from bench.styles import style_figures
from bench.train_speed import char_training, models_for_generation, word_training
from bench.weights import serving_weights
from lyriccore.corpus import load_corpus

log = logging.getLogger("bench")
BUSY_WARNING = 0.25  # cores used by other processes before the run that deserve a warning


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "suite",
        nargs="?",
        default="all",
        choices=(
            "all",
            "train",
            "ddp",
            "generate",
            "serve",
            "curves",
            "quality",
            "crossstyle",
            "songs",
            "styles",
            "bandit",
            "databases",
            "weights",
            "forms",
        ),
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder with tinyshakespeare.txt"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument(
        "--threads", type=int, help="torch threads for training (default: the engine's, all cores)"
    )
    parser.add_argument(
        "--gen-threads", type=int, default=1, help="generation (batch) threads (bot: 1)"
    )
    parser.add_argument(
        "--minutes",
        type=float,
        help="the quality and crossstyle sections' budget per run (default 10, --quick 0.1)",
    )
    parser.add_argument(
        "--serve-model",
        type=Path,
        help="serve, forms: the char model the bot serves (default: the generation char "
        "model, 2x256 after one pass)",
    )
    parser.add_argument(
        "--weights-model",
        action="append",
        type=Path,
        default=[],
        help="weights: a trained model whose held-out NLL is scored in fp32 and int8 "
        "(repeatable; default: the generation char model in `all`)",
    )
    parser.add_argument(
        "--song-model",
        nargs=2,
        action="append",
        metavar=("MODEL", "CORPUS"),
        type=Path,
        help="songs: a model folder and its training corpus (repeatable; default: the "
        "generation char model and the data file)",
    )
    parser.add_argument(
        "--style-model",
        type=Path,
        help="styles: a starter model trained with style tokens (default: train one, 4 min)",
    )
    return parser


def _filed(figures: dict[str, Any], contention: Contention) -> dict[str, Any]:
    """A benchmark's figures with how busy other processes kept the machine meanwhile."""
    return {**figures, "contention": contention.report()}


def run(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    sizes = Sizes.quick() if args.quick else Sizes()
    results: dict[str, Any] = {}
    if args.suite in ("all", "bandit"):  # needs no data file
        watch = Contention()
        results["bandit"] = _filed(bandit(sizes, args.out.with_name("bandit.png")), watch)
        if args.suite == "bandit":
            return results
    data_path, text = read_data(args.data_dir)
    ctx = Context(sizes, text, data_path, work_dir, args.threads)
    models: dict[str, Path] = {}
    if args.suite in ("all", "train"):
        for level, bench in (("char", char_training), ("word", word_training)):
            watch = Contention()
            figures, models[level] = bench(ctx)
            results[f"{level}_training"] = _filed(figures, watch)
    if args.suite in ("all", "ddp"):
        watch = Contention()
        results["ddp_training"] = _filed(ddp_training(ctx), watch)
    if args.suite in ("all", "curves"):
        watch = Contention()
        results["bf16_curves"] = _filed(curves(ctx, args.out.with_name("curves.png")), watch)
    if args.suite in ("all", "quality"):
        watch = Contention()
        minutes = args.minutes or sizes.quality_minutes
        results["quality"] = _filed(quality(ctx, minutes), watch)
    if args.suite in ("all", "crossstyle"):
        watch = Contention()
        minutes = args.minutes or sizes.quality_minutes
        results["cross_style"] = _filed(cross_style(ctx, minutes), watch)
    if args.suite in ("all", "generate"):
        models = models or models_for_generation(ctx)
        threads = args.gen_threads
        watch = Contention()
        figures = generation(ctx, models["char"], models["word"], threads)
        results["generation"] = _filed(figures, watch)
        watch = Contention()
        results["latency"] = _filed(latency(ctx, models["char"], threads), watch)
    if args.suite in ("all", "songs"):
        watch = Contention()
        results["songs"] = _filed(songs(ctx, _song_models(args, ctx, models)), watch)
    if args.suite in ("all", "styles"):
        watch = Contention()
        results["styles"] = _filed(style_figures(ctx, args.style_model), watch)
    if args.suite in ("all", "weights"):
        watch = Contention()
        trained = args.weights_model or ([models["char"]] if models else [])
        results["serving_weights"] = _filed(serving_weights(ctx, trained), watch)
    if args.suite in ("all", "serve", "forms"):
        if args.serve_model is None:
            models = models or models_for_generation(ctx)
        served = args.serve_model or models["char"]
        sections = {"service": service, "discord": discord, "discord_song_form": discord_song_form}
        if args.suite == "forms":  # the constrained /lyrics through the bot alone
            sections = {"discord_song_form": discord_song_form}
        for name, section in sections.items():
            watch = Contention()
            figures = asyncio.run(section(ctx, served, args.gen_threads))
            results[f"serving_{name}"] = _filed(figures, watch)
    if args.suite in ("all", "databases"):
        models = models or models_for_generation(ctx)
        watch = Contention()
        figures = asyncio.run(databases(ctx, models["char"], args.gen_threads))
        results["databases"] = _filed(figures, watch)
    return results


def _song_models(
    args: argparse.Namespace, ctx: Context, models: dict[str, Path]
) -> list[tuple[str, Path, str]]:
    """The models the songs section measures, each with the text it was trained on."""
    if args.song_model:
        return [(model.name, model, load_corpus(corpus).text) for model, corpus in args.song_model]
    models = models or models_for_generation(ctx)
    return [("generation_char_model", models["char"], ctx.text)]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.gen_threads < 1 or (args.threads is not None and args.threads < 1):
        print("bench: error: thread counts must be >= 1", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO,
        format="bench %(asctime)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    report: dict[str, Any] = {
        "machine": machine_info(),
        "run": {
            "suite": args.suite,
            "quick": args.quick,
            "data_dir": str(args.data_dir),
            "train_threads": args.threads or torch.get_num_threads(),
            "generate_threads": args.gen_threads,
        },
    }
    busy = others_now()
    report["run"]["other_processes_cores_at_start"] = busy
    if busy is not None and busy > BUSY_WARNING:
        log.warning("other processes are using %.1f cores: expect low, noisy figures", busy)
    started, watch = time.perf_counter(), Contention()
    try:
        with tempfile.TemporaryDirectory(prefix="lyricbot-bench-") as work_dir:
            report["benchmarks"] = run(args, Path(work_dir))
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    report["run"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["run"]["total_seconds"] = time.perf_counter() - started
    report["run"]["contention"] = watch.report()
    sys.stdout.write(write_report(report, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
