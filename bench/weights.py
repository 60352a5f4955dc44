"""Serving weights (issue 16): fp32 numpy against int8 onnxruntime, kernels to whole requests.

- `kernels`: one product of each shape a 2×512 step has, at 1, 16 and 128 rows, in every
  candidate: numpy fp32 (today's), torch bf16 (oneDNN), onnxruntime fp32, int8 and int4 — the
  measurement the served kernel was chosen by. Best of 20 rounds, microseconds.
- `steps`: the whole serving step per model (the two below and each `--weights-model`) and
  row count in fp32, int8 and int4, and a fresh int8 step's first call (what the warm-up
  takes off a first request).
- `generation`: `Generator` as the bot serves, fp32 against auto (int8) against the exported
  ONNX file: one stream, 128 rows (16 requests × 8 samples, submitted together), word model.
- `quality`: held-out NLL per token of each `--weights-model`, in fp32, int8 and int4.
- `startup`: checkpoint → ready to step (load, arrange, warm up), and the first request.

Speed models have the default shapes (2×512 char, 2×512 word of 8.8k words) with fresh
weights: a step's cost does not depend on training. Ratios are int8 over fp32, same run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from bench.common import Context, Sizes, first_words, median, torch_threads
from bench.serving import text_counts
from bench.weights_kernels import candidates
from lyriccore.checkpoint import LoadedModel, load_model, save_checkpoint
from lyriccore.cpu_lstm import CpuLSTM
from lyriccore.export import export_onnx, onnx_step_for
from lyriccore.generator import Generator
from lyriccore.model import LyricsLSTM, ModelConfig
from lyriccore.ort_step import OrtStep
from lyriccore.sampling import SamplingParams
from lyriccore.serving_step import StepModel
from lyriccore.step_graph import step_graph
from lyriccore.step_quality import nll_per_token
from lyriccore.tokenizer import CharTokenizer, Tokenizer, WordTokenizer

log = logging.getLogger(__name__)
ROWS = (1, 16, 128)
SEED = "we drift"


def best_us(fn: Callable[[], object], calls: int, rounds: int = 20) -> float:
    """Best mean over `rounds` short rounds of `calls` calls: on a shared machine the fastest
    round is the one no other process interrupted, the figure comparable between kernels."""
    fn()
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - started) / calls)
    return best * 1e6


def fresh_model(folder: Path, tokenizer: Tokenizer, embed: int, hidden: int) -> Path:
    """A checkpoint of the default shape with untrained weights, served like any other."""
    torch.manual_seed(0)
    slots = len(tokenizer.styles) + 1 if tokenizer.styles else 0
    config = ModelConfig(
        vocab_size=tokenizer.vocab_size, embed_dim=embed, hidden_size=hidden, style_slots=slots
    )
    model = LyricsLSTM(config)
    payload = {
        "model_config": config.to_dict(),
        "tokenizer": tokenizer.to_dict(),
        "state_dict": model.state_dict(),
    }
    save_checkpoint(folder / "best.pt", payload)
    return folder


def kernels(cpu: CpuLSTM) -> dict[str, Any]:
    report = {}
    for name, w in (("w_hh0", cpu.w[0]), ("w1", cpu.w[1])):
        name = f"{name}_{w.shape[0]}x{w.shape[1]}"
        rows = {}
        for n in ROWS:
            x = np.random.default_rng(n).standard_normal((w.shape[1], n)).astype(np.float32)
            rows[str(n)] = {k: best_us(fn, 10) for k, fn in candidates(w, x).items()}
        report[name] = rows
    return report


def steps(named: dict[str, LoadedModel]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for name, loaded in named.items():
        cpu = CpuLSTM(loaded.model)
        int8, int4 = (OrtStep(step_graph(cpu, bits)) for bits in ("int8", "int4"))
        first = _first_call_us(OrtStep(step_graph(cpu, "int8")))
        figures: dict[str, Any] = {"int8_first_call_us": first}
        for n in ROWS:
            fp32_us, int8_us, int4_us = (_step_us(s, n) for s in (cpu, int8, int4))
            figures[str(n)] = {
                "fp32_us": fp32_us,
                "int8_us": int8_us,
                "int4_us": int4_us,
                "ratio": fp32_us / int8_us,
            }
        report[name] = figures
    return report


def _step_us(step: StepModel, rows: int) -> float:
    state, tokens = step.initial_state(rows), np.zeros(rows, np.int64)
    return best_us(lambda: step.step(tokens, state), max(3, 100 // rows))


def _first_call_us(step: StepModel) -> float:
    state = step.initial_state(1)
    started = time.perf_counter()
    step.step(np.zeros(1, np.int64), state)
    return (time.perf_counter() - started) * 1e6


def generation(
    ctx: Context, char: LoadedModel, word: LoadedModel, onnx_file: Path, floor: LoadedModel
) -> dict[str, Any]:
    """Each workload on each server, the servers interleaved repeat by repeat so that a
    change of load falls on all of them; `floor` (a model of 8 hidden units) is what a step
    costs outside the model's products: sampling, the batch's bookkeeping, the text."""
    sizes = ctx.sizes
    one = SamplingParams(lines=None, max_tokens=sizes.gen_tokens)
    wide = SamplingParams(lines=None, max_tokens=sizes.gen_tokens // 6, samples=8)
    word_one = SamplingParams(lines=None, max_tokens=sizes.gen_word_tokens)
    servers = {
        "fp32": Generator(char, weights="fp32"),
        "auto": Generator(char, weights="auto"),
        "onnx_file": Generator(char, step=onnx_step_for(char, onnx_file)),
        "floor": Generator(floor, weights="fp32"),
    }
    workloads: dict[str, tuple[Generator, Callable[[Generator], list[Any]], str]] = {}
    for name, g in servers.items():
        workloads[f"char_1_stream_{name}"] = (g, lambda g: [g.submit(SEED, one)], "chars")
        workloads[f"char_128_rows_{name}"] = (
            g, lambda g: [g.submit(SEED, wide.with_seed(i)) for i in range(16)], "chars"
        )  # fmt: skip
    for name in ("fp32", "auto"):
        g = servers[f"word_{name}"] = Generator(word, weights=name)
        workloads[f"word_1_stream_{name}"] = (g, lambda g: [g.submit(SEED, word_one)], "words")
    runs: dict[str, list[dict[str, float]]] = {key: [] for key in workloads}
    for _ in range(sizes.gen_repeats):
        for key, (g, submit, unit) in workloads.items():
            runs[key].append(_rate(g, submit, unit))
    best = _best_short_requests({k: servers[k] for k in ("fp32", "auto", "floor")}, sizes)
    for g in servers.values():
        g.close()
    medians = {key: {k: median([r[k] for r in rs]) for k in rs[0]} for key, rs in runs.items()}
    report: dict[str, Any] = {**medians, "char_1_stream_best_short": best}
    for key in ("char_1_stream", "char_128_rows", "word_1_stream"):
        report[f"{key}_ratio"] = medians[f"{key}_auto"]["per_s"] / medians[f"{key}_fp32"]["per_s"]
    return report


def _best_short_requests(servers: dict[str, Generator], sizes: Sizes) -> dict[str, float]:
    """chars/s of the fastest of many short one-stream requests per server, interleaved: on a
    loaded machine, the whole-process rate least disturbed by other processes."""
    short = SamplingParams(lines=None, max_tokens=max(50, sizes.gen_tokens // 7))
    best = dict.fromkeys(servers, 0.0)
    for i in range(5 * sizes.gen_repeats):
        params = short.with_seed(i)
        for name, g in servers.items():
            rate = _rate(g, lambda g, p=params: [g.submit(SEED, p)], "chars")
            best[name] = max(best[name], rate["per_s"])
    return {**best, "ratio": best["auto"] / best["fp32"]}


def _rate(
    generator: Generator, submit: Callable[[Generator], list[Any]], unit: str
) -> dict[str, float]:
    """`unit`s written per second, all the requests `submit` made together."""
    started = time.perf_counter()
    results = [f.result() for f in submit(generator)]
    seconds = time.perf_counter() - started
    return {"per_s": sum(text_counts(r)[unit] for r in results) / seconds, "seconds": seconds}


def quality(models: list[Path], text: str) -> dict[str, Any]:
    report = {}
    for path in models:
        loaded = load_model(path)
        ids = loaded.tokenizer.encode(text)
        cpu = CpuLSTM(loaded.model)
        fp32 = nll_per_token(cpu, ids)
        int8, int4 = (nll_per_token(OrtStep(step_graph(cpu, b)), ids) for b in ("int8", "int4"))
        report[str(path)] = {
            "hidden_size": loaded.config.hidden_size,
            "tokens": len(ids),
            "fp32_nll": fp32,
            "int8_nll": int8,
            "relative_change": (int8 - fp32) / fp32,
            "int4_nll": int4,
            "int4_relative_change": (int4 - fp32) / fp32,
        }
    return report


def startup(path: Path, onnx_file: Path) -> dict[str, Any]:
    """Checkpoint → ready (load, arrange or build the graph, warm up), then 8-line requests:
    the first against the median of the next five."""
    report = {}
    for name in ("fp32", "int8", "onnx_file"):
        started = time.perf_counter()
        loaded = load_model(path)
        if name == "onnx_file":
            generator = Generator(loaded, step=onnx_step_for(loaded, onnx_file))
        else:
            generator = Generator(loaded, weights=name)
        ready = time.perf_counter() - started
        params = SamplingParams(lines=8, max_tokens=960)
        times = [_request_ms(generator, params.with_seed(i)) for i in range(6)]
        report[name] = {
            "checkpoint_to_ready_s": ready,
            "first_request_ms": times[0],
            "later_requests_median_ms": median(times[1:]),
        }
    return report


def _request_ms(generator: Generator, params: SamplingParams) -> float:
    started = time.perf_counter()
    generator.generate(SEED, params)
    return (time.perf_counter() - started) * 1000


def serving_weights(ctx: Context, trained: list[Path]) -> dict[str, Any]:
    """Every figure of the module doc, on one generation thread as the bot runs."""
    char_dir, word_dir = ctx.work_dir / "w-char", ctx.work_dir / "w-word"
    words, hidden = first_words(ctx.text, ctx.sizes.word_words), ctx.sizes.weights_hidden
    fresh_model(char_dir, CharTokenizer.build(ctx.text), 64, hidden)
    # the same with the starter's 19 styles: what hearing a style at every step costs a step
    styled = CharTokenizer.build(ctx.text, styles=[f"style{n}" for n in range(19)])
    styled_dir = fresh_model(ctx.work_dir / "w-styled", styled, 64, hidden)
    floor_dir = fresh_model(ctx.work_dir / "w-floor", CharTokenizer.build(ctx.text), 8, 8)
    vocab = WordTokenizer.build(words, lowercase=True, min_freq=1, max_vocab=16_000)
    fresh_model(word_dir, vocab, 256, hidden)
    char, word = load_model(char_dir), load_model(word_dir)
    onnx_file = export_onnx(char, char_dir / "step.onnx", "int8")
    held_out = ctx.text[-len(ctx.text) // 10 :][: 30 * ctx.sizes.gen_tokens]
    # One thread for every kernel, as the served step runs (Generator sets BLAS so too, but
    # only once one exists; two BLAS threads stall whenever a neighbour takes a core).
    with torch_threads(1), threadpool_limits(1, user_api="blas"):
        log.info("serving weights: kernels")
        report: dict[str, Any] = {"kernels": kernels(CpuLSTM(char.model))}
        log.info("serving weights: steps")
        named = {"char": char, "char_19_styles": load_model(styled_dir), "word": word}
        named |= {p.name: load_model(p) for p in trained}
        report["steps"] = steps(named)
        log.info("serving weights: generation")
        report["generation"] = generation(ctx, char, word, onnx_file, load_model(floor_dir))
        log.info("serving weights: start-up")
        report["startup"] = startup(char_dir, onnx_file)
        log.info("serving weights: quality")
        report["quality"] = quality(trained, held_out)
    report["models"] = {"hidden_size": hidden, "word_vocab": word.config.vocab_size}
    return report
