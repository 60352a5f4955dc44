"""Argument definitions shared by every front end that trains or generates.

argparse range types reject a bad value with a one-line message before any work starts.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lyriccore.config import TrainConfig
from lyriccore.errors import ConfigError
from lyriccore.form import parse_scheme, parse_syllables
from lyriccore.sampling import MAX_BEST_OF, WORD_MODES, SamplingParams
from lyriccore.styles import STYLE_STRENGTH, STYLE_STRENGTH_RANGE, normalise_style


def ranged(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low:g}..{high:g}")
        return value

    parse.__name__ = kind.__name__
    return parse


def anneal_pair(text: str) -> tuple[float, float]:
    """'1.0:0.5' → (1.0, 0.5): start and end temperature."""
    try:
        start, end = (float(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError("anneal takes START:END, e.g. 1.0:0.5") from None
    return start, end


# name, type, help; None defaults mean "the level's default" (see config.LEVEL_DEFAULTS).
TRAIN_OPTIONS: list[tuple[str, Callable[[str], Any], str]] = [
    ("embed-dim", ranged(int, 1, 4096), "embedding size"),
    ("hidden-size", ranged(int, 1, 8192), "LSTM hidden size"),
    ("num-layers", ranged(int, 1, 8), "LSTM layers"),
    ("dropout", ranged(float, 0.0, 0.95), "dropout between and after LSTM layers"),
    ("input-dropout", ranged(float, 0.0, 0.95), "locked dropout on the embedding output"),
    ("embed-dropout", ranged(float, 0.0, 0.95), "drop whole tokens' embeddings"),
    ("weight-drop", ranged(float, 0.0, 0.95), "DropConnect on the hidden-to-hidden weights"),
    ("ar", ranged(float, 0.0, 100.0), "activation regularisation weight (AR)"),
    ("tar", ranged(float, 0.0, 100.0), "temporal activation regularisation weight (TAR)"),
    ("average-decay", ranged(float, 0.5, 0.999999), "EMA decay per step (--average ema)"),
    ("average-start", ranged(int, 0, 100_000), "epochs before averaging starts"),
    ("generic-share", ranged(float, 0.0, 0.95), "styled corpus: share of lanes read unstyled"),
    ("seq-len", ranged(int, 2, 4096), "tokens per training window"),
    ("batch-size", ranged(int, 1, 4096), "parallel lanes per batch"),
    ("epochs", ranged(int, 1, 100_000), "maximum epochs"),
    ("lr", ranged(float, 1e-7, 1.0), "peak learning rate (Adam)"),
    ("weight-decay", ranged(float, 0.0, 1.0), "Adam weight decay"),
    ("warmup-steps", ranged(int, 0, 1_000_000), "linear warm-up steps"),
    ("clip", ranged(float, 1e-6, 1e6), "gradient norm clip"),
    ("val-fraction", ranged(float, 0.01, 0.49), "held-out share of the corpus"),
    ("val-blocks", ranged(int, 1, 10_000), "held out: the tail of each of N blocks (1: the end)"),
    ("patience", ranged(int, 1, 1000), "epochs without improvement before stopping"),
    ("seed", int, "random seed"),
    ("max-minutes", ranged(float, 0.01, 1e6), "time budget; stops after the running batch"),
    ("threads", ranged(int, 1, 1024), "CPU threads for torch"),
    ("min-freq", ranged(int, 1, 1_000_000), "word level: minimum count to enter the vocabulary"),
    ("max-vocab", ranged(int, 2, 1_000_000), "word level: vocabulary size cap"),
]


def add_train_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=Path, required=True, help=".txt/.json/.csv or folder")
    parser.add_argument("--out", type=Path, required=True, help="run folder")
    parser.add_argument("--level", choices=["char", "word"], default="char")
    parser.add_argument("--column", help="CSV column holding the lyrics (default lyrics/text)")
    parser.add_argument("--lowercase", action="store_true", help="lowercase the corpus")
    parser.add_argument("--tie-weights", action="store_true", help="share embedding and output")
    parser.add_argument("--no-carry-state", action="store_true", help="reset state per batch")
    parser.add_argument(
        "--vary-seq-len",
        action=argparse.BooleanOptionalAction,
        help="draw each window's length around --seq-len",
    )
    parser.add_argument(
        "--average", choices=["off", "ema", "mean"], help="averaged weights, validated and served"
    )
    parser.add_argument(
        "--amp",
        choices=["auto", "bf16", "fp16", "off"],
        default="auto",
        help="mixed precision; auto: on a GPU, or bf16 on a CPU with native bf16 (AVX-512 BF16)",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    for name, kind, text in TRAIN_OPTIONS:
        parser.add_argument(f"--{name}", type=kind, default=None, help=text)


def train_config(args: argparse.Namespace) -> TrainConfig:
    given = {
        name.replace("-", "_"): getattr(args, name.replace("-", "_"))
        for name, _, _ in TRAIN_OPTIONS
        if getattr(args, name.replace("-", "_")) is not None
    }
    given.update(
        {name: getattr(args, name) for name in ("vary_seq_len", "average")
         if getattr(args, name) is not None}
    )  # fmt: skip
    return TrainConfig(
        level=args.level,
        lowercase=args.lowercase,
        tie_weights=args.tie_weights,
        carry_state=not args.no_carry_state,
        amp=args.amp,
        device=args.device,
        **given,
    )


def add_generate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", default="", help="text to continue")
    parser.add_argument("--temperature", type=ranged(float, 0.05, 3.0), default=0.8)
    parser.add_argument("--top-k", type=ranged(int, 0, 100_000), default=0, help="0 = off")
    parser.add_argument("--top-p", type=ranged(float, 0.01, 1.0), default=1.0, help="1 = off")
    parser.add_argument("--repetition-penalty", type=ranged(float, 1.0, 3.0), default=1.0)
    parser.add_argument("--repetition-window", type=ranged(int, 1, 10_000), default=64)
    parser.add_argument("--anneal", type=anneal_pair, help="START:END temperature over output")
    parser.add_argument("--greedy", action="store_true", help="always the most likely token")
    parser.add_argument("--beam", type=ranged(int, 1, 32), default=1, help="beam width")
    parser.add_argument("--lines", type=ranged(int, 1, 1000), default=8)
    parser.add_argument("--max-tokens", type=ranged(int, 1, 100_000), default=1500)
    parser.add_argument("--stop", help="end marker: stop when it appears")
    parser.add_argument("--samples", type=ranged(int, 1, 256), default=1)
    parser.add_argument("--rng-seed", type=int, help="same seed, same text")
    parser.add_argument(
        "--style", type=checked(normalise_style), help="a style the model knows (see info)"
    )
    add_style_strength_arg(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_form_args(parser)


def add_style_strength_arg(parser: argparse.ArgumentParser) -> None:
    low, high = STYLE_STRENGTH_RANGE
    parser.add_argument(
        "--style-strength", type=ranged(float, low, high), default=STYLE_STRENGTH,
        help=f"how plainly a style is heard: 1 = as trained (default {STYLE_STRENGTH:g})",
    )  # fmt: skip


def add_form_args(parser: argparse.ArgumentParser) -> None:
    """The song-form options (lines.py), shared by generate and evaluate."""
    parser.add_argument("--scheme", type=checked(parse_scheme), help="AABB, ABAB, ... or free")
    parser.add_argument(
        "--syllables", type=checked(parse_syllables), help="per line: 8, or a pattern 8,6,8,6"
    )
    parser.add_argument("--syllable-tolerance", type=ranged(int, 0, 5), default=1)
    parser.add_argument(
        "--best-of", type=ranged(int, 1, MAX_BEST_OF), default=1, help="candidates per line"
    )
    parser.add_argument("--words", choices=WORD_MODES, default="off", help="real words only")
    parser.add_argument("--near-rhyme", action="store_true", help="same stressed vowel rhymes")


def checked(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from a parser that raises ConfigError with a user-facing line."""

    def run(text: str) -> Any:
        try:
            return parse(text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    run.__name__ = parse.__name__
    return run


def form_from_args(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "scheme": args.scheme,
        "syllables": args.syllables,
        "syllable_tolerance": args.syllable_tolerance,
        "best_of": args.best_of,
        "words": args.words,
        "near_rhyme": args.near_rhyme,
    }


def params_from_args(args: argparse.Namespace) -> SamplingParams:
    temperature, anneal_to = args.anneal if args.anneal else (args.temperature, None)
    return SamplingParams(
        temperature=temperature,
        anneal_to=anneal_to,
        top_k=args.top_k,
        top_p=args.top_p,
        repetition_penalty=args.repetition_penalty,
        repetition_window=args.repetition_window,
        greedy=args.greedy,
        beam=args.beam,
        lines=args.lines,
        max_tokens=args.max_tokens,
        stop=args.stop,
        samples=args.samples,
        rng_seed=args.rng_seed,
        style=args.style,
        **form_from_args(args),
    )
