"""`lyriccore train|tune|generate|evaluate|info|starter|export`: the engine from a terminal.

Known errors end the command with one line on stderr and exit status 2; results go to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from secrets import randbelow

from lyriccore.checkpoint import BEST, LAST, load_model
from lyriccore.cli_args import (
    add_form_args,
    add_generate_args,
    add_style_strength_arg,
    add_train_args,
    form_from_args,
    params_from_args,
    ranged,
    train_config,
)
from lyriccore.config import TrainConfig
from lyriccore.corpus import load_corpus
from lyriccore.distributed import joined_world
from lyriccore.errors import LyricCoreError
from lyriccore.evaluate import evaluate_model
from lyriccore.export import FORMATS, default_path, export_onnx, export_torchscript, onnx_step_for
from lyriccore.generator import GenerationResult, Generator
from lyriccore.history import EpochMetrics
from lyriccore.launch import exec_torchrun, without_option
from lyriccore.sampling import SamplingParams
from lyriccore.serving_step import SERVING_WEIGHTS
from lyriccore.song import DEFAULT_FORM, parse_form, write_song
from lyriccore.staging import adopt, staging_for, train_resumably
from lyriccore.starter import STARTER_RECIPE, starter_training_corpus
from lyriccore.step_graph import WEIGHTS
from lyriccore.trainer import train
from lyriccore.tune import DEFAULT_TRIALS, format_table, parse_trial, results_json, run_trials


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for `train --nproc`'s torchrun
    try:
        return int(args.handler(args))
    except LyricCoreError as exc:
        print(f"lyriccore: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lyriccore: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lyriccore", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    cmd = sub.add_parser("train", help="train (or resume) a model on a corpus")
    add_train_args(cmd)
    cmd.add_argument(
        "--nproc",
        type=ranged(int, 1, 1024),
        default=1,
        help="ranks on this machine: runs this command under torchrun (DDP)",
    )
    cmd.set_defaults(handler=cmd_train)
    add_tune_parser(sub)
    cmd = sub.add_parser("generate", help="write lyrics from a seed")
    cmd.add_argument("--model", type=Path, required=True, help="model folder or .pt file")
    add_generate_args(cmd)
    add_serving_args(cmd)
    cmd.set_defaults(handler=cmd_generate)
    add_export_parser(sub)
    cmd = sub.add_parser("song", help="write a song: sections, and a chorus that comes back")
    cmd.add_argument("--model", type=Path, required=True, help="model folder or .pt file")
    cmd.add_argument("--form", default=DEFAULT_FORM, help=f"sections by '-' ({DEFAULT_FORM})")
    add_generate_args(cmd)
    cmd.set_defaults(handler=cmd_song, words="strict")  # a song is for reading: real words
    cmd = sub.add_parser("evaluate", help="perplexity, bits/char and sample metrics")
    cmd.add_argument("--model", type=Path, required=True)
    cmd.add_argument("--corpus", type=Path, required=True)
    cmd.add_argument("--samples", type=int, default=8, help="samples for text metrics")
    cmd.add_argument("--lines", type=ranged(int, 1, 1000), default=8, help="lines per sample")
    cmd.add_argument("--rng-seed", type=int, default=0, help="the samples' fixed seed")
    cmd.add_argument(
        "--train-corpus", type=Path, help="text to look copied lines up in (default --corpus)"
    )
    add_form_args(cmd)
    cmd.set_defaults(handler=cmd_evaluate)
    cmd = sub.add_parser("info", help="a model's version, config and metrics")
    cmd.add_argument("--model", type=Path, required=True)
    cmd.set_defaults(handler=cmd_info)
    cmd = sub.add_parser("starter", help="train the starter model if needed and print lyrics")
    cmd.add_argument("--out", type=Path, default=Path("models/starter"))
    cmd.add_argument("--seed", default="we drift", help="seed for the printed lyrics")
    cmd.add_argument("--max-minutes", type=ranged(float, 0.01, 1e6), help="training budget")
    cmd.add_argument("--no-sample", action="store_true", help="train only, print no lyrics")
    cmd.set_defaults(handler=cmd_starter)
    return parser


def add_serving_args(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--weights", choices=SERVING_WEIGHTS, default="auto",
        help="serving weights: auto (int8 where faster), fp32 (the reference) or int8",
    )  # fmt: skip
    cmd.add_argument("--runtime", choices=["native", "onnx"], default="native")
    cmd.add_argument("--onnx", type=Path, help="exported step (default: step.onnx by the model)")


def add_export_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("export", help="the generation step as an ONNX or TorchScript file")
    cmd.add_argument("--model", type=Path, required=True, help="model folder or .pt file")
    cmd.add_argument("--format", choices=sorted(FORMATS), required=True)
    cmd.add_argument("--weights", choices=WEIGHTS, default="fp32", help="ONNX weights")
    cmd.add_argument("--out", type=Path, help="default: step.onnx / step.torchscript.pt by it")
    add_style_strength_arg(cmd)
    cmd.set_defaults(handler=cmd_export)


def add_tune_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("tune", help="short trials of recipe variants under a time budget")
    cmd.add_argument("--corpus", type=Path, required=True, help=".txt/.json/.csv or folder")
    cmd.add_argument("--level", choices=["char", "word"], default="char")
    cmd.add_argument("--column", help="CSV column holding the lyrics (default lyrics/text)")
    cmd.add_argument("--lowercase", action="store_true", help="lowercase the corpus")
    cmd.add_argument("--minutes", type=ranged(float, 0.01, 1e4), default=2.0, help="per trial")
    cmd.add_argument(
        "--trial",
        action="append",
        help="NAME=VALUE,... TrainConfig overrides; repeatable (default: each regulariser)",
    )
    cmd.add_argument("--base", default="", help="overrides every trial starts from")
    cmd.add_argument("--threads", type=ranged(int, 1, 1024), help="CPU threads for torch")
    cmd.add_argument("--json", type=Path, help="also write the results here as JSON")
    cmd.set_defaults(handler=cmd_tune)


def cmd_tune(args: argparse.Namespace) -> int:
    corpus = load_corpus(args.corpus, column=args.column, lowercase=args.lowercase)
    base = TrainConfig(
        level=args.level, lowercase=args.lowercase, threads=args.threads, **parse_trial(args.base)
    )
    results = run_trials(corpus, base, args.trial or list(DEFAULT_TRIALS), args.minutes)
    print(format_table(results))
    if args.json:
        args.json.write_text(results_json(results) + "\n", encoding="utf-8")
    return 0


def print_epoch(metrics: EpochMetrics) -> None:
    bpc = f" bpc {metrics.val_bpc:.3f}" if metrics.val_bpc is not None else ""
    print(
        f"epoch {metrics.epoch:3d}  train {metrics.train_loss:.4f}  val {metrics.val_loss:.4f}"
        f"  ppl {metrics.val_perplexity:.2f}{bpc}  {metrics.tokens_per_s:,.0f} tok/s",
        flush=True,
    )


def cmd_train(args: argparse.Namespace) -> int:
    """Train on this process, or as one rank of torchrun's; `--nproc N` becomes torchrun.
    A rank that torchrun restarted after a failure (`--max-restarts`) continues from the last
    snapshot its run wrote."""
    if args.nproc > 1:
        exec_torchrun(args.nproc, "lyriccore", without_option(args.argv, "--nproc"))
    corpus = load_corpus(args.corpus, column=args.column, lowercase=args.lowercase)
    with joined_world(args.device) as world:
        restarted = world.restarts > 0 and (args.out / LAST).exists()
        result = train(
            corpus,
            train_config(args),
            args.out,
            resume=args.resume or restarted,
            progress=not args.quiet,
            on_epoch=print_epoch,
            world=world,
        )
    if world.is_main:
        print(f"stopped: {result.stopped}; best val loss {result.best_val_loss:.4f} in {args.out}")
    return 0


def print_result(result: GenerationResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps({**result.__dict__, "texts": result.texts}, ensure_ascii=False))
        return
    if result.unknown:
        print(f"(dropped from the seed, unknown to the model: {''.join(result.unknown)!r})")
    for i, text in enumerate(result.texts):
        if i:
            print("\n---\n")
        print(text)
    print(f"\n[model {result.model_version} · rng seed {result.rng_seed}]")


def cmd_generate(args: argparse.Namespace) -> int:
    loaded = load_model(args.model)
    step = None
    if args.runtime == "onnx":
        step = onnx_step_for(loaded, args.onnx or default_path(loaded, "onnx"), args.style_strength)
    generator = Generator(
        loaded, weights=args.weights, step=step, style_strength=args.style_strength
    )
    print_result(generator.generate(args.seed, params_from_args(args)), args.json)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    loaded = load_model(args.model)
    out = args.out or default_path(loaded, args.format)
    if args.format == "onnx":
        export_onnx(loaded, out, args.weights, args.style_strength)
    else:
        export_torchscript(loaded, out, args.style_strength)
    print(f"wrote {out} ({args.format}) from {loaded.version}")
    return 0


def cmd_song(args: argparse.Namespace) -> int:
    form = parse_form(args.form)
    params = params_from_args(args)
    params = params.with_seed(params.rng_seed if params.rng_seed is not None else randbelow(2**31))
    generator = Generator(load_model(args.model), style_strength=args.style_strength)
    try:
        song = write_song(generator, args.seed, params, form)
    finally:
        generator.close()
    if args.json:
        sections = [{"label": s.label, "text": s.text} for s in song.sections]
        print(json.dumps({"sections": sections, "rng_seed": song.rng_seed}, ensure_ascii=False))
    else:
        print(f"{song.text}\n\n[model {song.model_version} · rng seed {song.rng_seed}]")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    loaded = load_model(args.model)
    corpus = load_corpus(args.corpus, lowercase=loaded.tokenizer.lowercase)
    shaped = SamplingParams(samples=args.samples, lines=args.lines, **form_from_args(args))
    training = load_corpus(args.train_corpus).text if args.train_corpus else None
    report = evaluate_model(
        loaded,
        corpus,
        samples=args.samples,
        lines=args.lines,
        rng_seed=args.rng_seed,
        shaped=shaped if shaped.shapes_lines else None,
        training_text=training,
    )
    print(json.dumps({"model": loaded.version, **report.to_dict()}, indent=2))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    loaded = load_model(args.model)
    info = {
        "version": loaded.version,
        "path": str(loaded.path),
        "level": loaded.tokenizer.level,
        "vocab_size": loaded.tokenizer.vocab_size,
        "styles": list(loaded.tokenizer.styles),
        "model_config": loaded.config.to_dict(),
        "train_config": loaded.train_config,
        "corpus_fingerprint": loaded.corpus_fingerprint,
        "corpus_words": None if loaded.corpus_words is None else len(loaded.corpus_words),
        "metrics": loaded.metrics,
    }
    print(json.dumps(info, indent=2))
    return 0


def cmd_starter(args: argparse.Namespace) -> int:
    if not (args.out / BEST).exists():
        staging = staging_for(args.out)
        print(f"training the starter model into {args.out} (a few minutes on a laptop CPU)")
        recipe = STARTER_RECIPE
        if args.max_minutes:
            recipe = replace(recipe, max_minutes=args.max_minutes)
        result = train_resumably(starter_training_corpus(), recipe, staging, on_epoch=print_epoch)
        if result.stopped == "interrupted":
            print(f"lyriccore: interrupted; run the same command to continue from {staging}")
            return 130
        adopt(staging, args.out)
    if args.no_sample:
        return 0
    generator = Generator.from_path(args.out)
    print_result(generator.generate(args.seed, SamplingParams(lines=8)), as_json=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
