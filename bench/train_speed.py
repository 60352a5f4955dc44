"""Training throughput: one pass (epoch) of lyriccore's real Trainer, fp32 and bf16 autocast.

Every position of every window is a target, so targets/s equals the trainer's tokens/s. Each
pass is capped by the trainer's own time budget (`max_minutes`), so a busy machine cannot make
the run endless: a capped pass reports its rate and the epoch time that rate implies. Char
passes are cheap, so they are repeated (fp32 and bf16 interleaved); each figure is the median
over the passes that other processes left alone, and every pass is listed.
The char benchmark also times the tutorial's one-target-per-window scheme in the same run
(`bench.tutorial_scheme`), so the report carries the measured speed-up.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from bench.common import (
    Contention,
    Context,
    first_words,
    make_corpus,
    median,
    timed,
    torch_threads,
)
from bench.tutorial_scheme import tutorial_throughput
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus
from lyriccore.trainer import Trainer

log = logging.getLogger(__name__)
PRECISIONS = {"fp32": "off", "bf16": "bf16"}
REPEAT_BUDGET_S = 55.0  # start another round of char passes only while they took less
QUIET_CORES = 0.25  # a pass is quiet when other processes used less CPU than this meanwhile

# The tutorial's shapes, dropout and learning rate, not lyriccore's tuned char recipe; val_fraction
# small so nearly all of the text is trained on.
CHAR = TrainConfig(
    level="char", embed_dim=64, hidden_size=256, seq_len=100, batch_size=64, dropout=0.2, lr=1e-3,
    epochs=1, val_fraction=0.05, device="cpu",
)  # fmt: skip
WORD = TrainConfig(
    level="word", embed_dim=256, hidden_size=512, seq_len=40, batch_size=32,
    epochs=1, val_fraction=0.05, device="cpu", lowercase=True, min_freq=1, max_vocab=16_000,
)  # fmt: skip


def one_pass(corpus: Corpus, config: TrainConfig, out_dir: Path) -> dict[str, Any]:
    """Build a Trainer and fit one epoch; report what its history measured."""
    watch = Contention()
    trainer, setup_s = timed(lambda: Trainer(corpus, config, out_dir, progress=False))
    result, fit_s = timed(trainer.fit)
    others = watch.report()["other_processes_cores"]
    epoch = result.history[-1]
    complete = result.stopped == "epochs"
    train_tokens = trainer.train_data.numel()
    return {
        "epoch_seconds": epoch.epoch_seconds if complete else train_tokens / epoch.tokens_per_s,
        "targets_per_s": epoch.tokens_per_s,
        "complete": complete,  # False: capped by max_minutes, epoch_seconds extrapolated
        "batches": epoch.step,
        "setup_seconds": setup_s,
        "fit_seconds": fit_s,
        "val_loss": epoch.val_loss,
        "vocab_size": trainer.tokenizer.vocab_size,
        "train_tokens": train_tokens,
        "other_processes_cores": others,
    }


def configured(config: TrainConfig, ctx: Context, amp: str, cap_s: float) -> TrainConfig:
    changes = {"amp": amp, "max_minutes": cap_s / 60, "threads": ctx.train_threads}
    return TrainConfig.from_dict({**config.to_dict(), **changes})


def passes(
    corpus: Corpus, config: TrainConfig, ctx: Context, tag: str, rounds: int, cap_s: float
) -> tuple[dict[str, list[dict[str, Any]]], Path]:
    """Rounds of one pass per precision, interleaved so load changes hit both alike. Returns
    the passes and the folder of the model to generate with: the first complete fp32 pass
    (training is seeded, so every complete pass yields the same model)."""
    done: dict[str, list[dict[str, Any]]] = {name: [] for name in PRECISIONS}
    models: list[tuple[bool, Path]] = []
    started = time.perf_counter()
    for round_ in range(rounds):
        if round_ and time.perf_counter() - started > REPEAT_BUDGET_S:
            break
        for name, amp in PRECISIONS.items():
            out = ctx.work_dir / f"{tag}-{name}-{round_}"
            log.info("%s training, one pass, %s (round %d)", tag, name, round_ + 1)
            done[name].append(one_pass(corpus, configured(config, ctx, amp, cap_s), out))
            if name == "fp32":
                models.append((done[name][-1]["complete"], out))
    return done, next((out for complete, out in models if complete), models[0][1])


def summarise(done: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per precision, the median of each timing over the quiet passes (other processes used
    less than QUIET_CORES meanwhile), or over all passes when none was quiet."""
    timings = ("epoch_seconds", "targets_per_s", "setup_seconds", "fit_seconds")
    per_pass = ("epoch_seconds", "targets_per_s", "batches", "complete", "other_processes_cores")
    figures: dict[str, Any] = {}
    for name, results in done.items():
        quiet = [r for r in results if (r["other_processes_cores"] or 0.0) < QUIET_CORES]
        chosen = quiet or results
        figures[name] = {
            **{k: median([r[k] for r in chosen]) for k in timings},
            "quiet_passes": len(quiet),
            **{k: v for k, v in results[0].items() if k not in timings + per_pass},
            "passes": [{k: r[k] for k in per_pass} for r in results],
        }
    figures["bf16_speedup"] = figures["bf16"]["targets_per_s"] / figures["fp32"]["targets_per_s"]
    return figures


def shape(config: TrainConfig) -> dict[str, Any]:
    keys = ("level", "num_layers", "hidden_size", "embed_dim", "seq_len", "batch_size")
    return {k: config.to_dict()[k] for k in keys}


def char_corpus(ctx: Context) -> Corpus:
    chars = ctx.sizes.char_chars
    return make_corpus(ctx.text[:chars], f"{ctx.data_path.name}[:{chars}]")


def word_corpus(ctx: Context) -> tuple[Corpus, int]:
    words = ctx.sizes.word_words
    text = first_words(ctx.text, words)
    return make_corpus(text, f"{ctx.data_path.name}[:{words} words]", lowercase=True), len(text)


def char_training(ctx: Context) -> tuple[dict[str, Any], Path]:
    sizes = ctx.sizes
    corpus = char_corpus(ctx)
    done, model = passes(corpus, CHAR, ctx, "char", sizes.char_rounds, sizes.char_cap_s)
    figures = summarise(done)
    log.info("the tutorial's scheme, %d batches per precision", sizes.tutorial_batches)
    with torch_threads(ctx.train_threads):
        tutorial = tutorial_throughput(corpus, CHAR, sizes)
    for name in PRECISIONS:
        ours, theirs = figures[name], tutorial[name]
        theirs["epoch_seconds_stride_1"] = ours["train_tokens"] / theirs["targets_per_s"]
        ours["speedup_vs_tutorial_scheme"] = ours["targets_per_s"] / theirs["targets_per_s"]
    data = {"chars": sizes.char_chars}
    return {"data": data, "shape": shape(CHAR), **figures, "tutorial_scheme": tutorial}, model


def word_training(ctx: Context) -> tuple[dict[str, Any], Path]:
    corpus, chars = word_corpus(ctx)
    done, model = passes(corpus, WORD, ctx, "word", 1, ctx.sizes.word_cap_s)
    data = {
        "words": ctx.sizes.word_words,
        "chars": chars,
        "min_freq": 1,
        "max_vocab": WORD.max_vocab,
    }
    return {"data": data, "shape": shape(WORD), **summarise(done)}, model


def models_for_generation(ctx: Context) -> dict[str, Path]:
    """When only generation is benchmarked: one bf16 pass per level on the same data."""
    runs = {"char": ctx.work_dir / "gen-char", "word": ctx.work_dir / "gen-word"}
    log.info("training the models to generate with (one bf16 pass each)")
    sizes = ctx.sizes
    one_pass(char_corpus(ctx), configured(CHAR, ctx, "bf16", sizes.char_cap_s), runs["char"])
    one_pass(word_corpus(ctx)[0], configured(WORD, ctx, "bf16", sizes.word_cap_s), runs["word"])
    return runs
