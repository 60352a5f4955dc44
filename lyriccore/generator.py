"""Generation: a thread-safe `Generator` that serves one loaded model to many callers.

The seed is fed once as a whole sequence; then one token per step is produced for every
stream of every running request at once (batcher.py), carrying the LSTM state. A model can be
swapped while requests run: each request finishes on the model it started with.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import torch
from threadpoolctl import threadpool_limits

from lyriccore.batcher import BatchRunner, LinesCallback
from lyriccore.beam import beam_search
from lyriccore.checkpoint import LoadedModel, load_model
from lyriccore.form import most_rhymes
from lyriccore.lines import token_table
from lyriccore.model_words import model_words
from lyriccore.sampling import SamplingParams
from lyriccore.seeds import PreparedSeed, prepare_seed
from lyriccore.serving_step import StepModel, resolve_weights, serving_step
from lyriccore.streams import Output
from lyriccore.styles import STYLE_STRENGTH

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class GenerationResult:
    seed: str
    continuations: list[str]
    rng_seed: int
    model_version: str
    tokens_generated: int
    seconds: float
    unknown: list[str] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [self.seed + c for c in self.continuations]


class Generator:
    """Serves generation from one model at a time; safe to call from many threads.

    Sampled requests join a `BatchRunner`, so concurrent callers are stepped in one batch.
    With `threads` > 1 there are that many batches, each on its own thread with one BLAS
    thread, and a request joins the one with fewest rows: independent threads keep going when
    a neighbour takes a core, where one multi-threaded product waits for its slowest thread
    (bench/README.md). Beam searches (few, slow, rarely concurrent) run one at a time apart.

    `weights` chooses the serving step (serving_step.py): "auto" serves int8 weights where
    they win, "fp32" the numpy reference, "int8" the quantised step; `step` (an `OrtStep` of
    an exported file, say) serves the first model instead. Either is warmed up before the
    first request. Every model it serves is pushed to `style_strength`
    (LoadedModel.with_style_strength); a given `step` must have been built at it.
    """

    def __init__(
        self,
        model: LoadedModel,
        *,
        threads: int = 1,
        weights: str = "auto",
        step: StepModel | None = None,
        style_strength: float = STYLE_STRENGTH,
    ) -> None:
        threadpool_limits(1, user_api="blas")
        self._threads = max(1, threads)
        self._weights = weights
        resolve_weights(model.model, weights)  # a bad setting fails here, not in a swap
        self._step = step
        self.style_strength = style_strength
        self._model = model = model.with_style_strength(style_strength)
        self._runners = self._start(model)
        self._swap_lock = threading.Lock()
        self._beams = ThreadPoolExecutor(1, thread_name_prefix="beam")

    def _start(self, model: LoadedModel) -> list[BatchRunner]:
        step = self._step or serving_step(model.model, self._weights)
        self._step = None  # an explicit step serves the first model only, not a swapped one
        return [BatchRunner(model, step) for _ in range(self._threads)]

    @classmethod
    def from_path(cls, path: Path, *, threads: int = 1, weights: str = "auto") -> Generator:
        return cls(load_model(path), threads=threads, weights=weights)

    @property
    def model(self) -> LoadedModel:
        """The model as served: its styles at this generator's strength."""
        return self._model

    @property
    def weights(self) -> str:
        """The weights the serving model is stepped with ("fp32" or "int8"): a seed's text
        depends on them, so they are logged beside it."""
        return resolve_weights(self._model.model, self._weights)

    @property
    def active_rows(self) -> int:
        """Streams being generated right now, all requests together."""
        return sum(r.active_rows for r in self._runners)

    def prepare_song_form(self) -> None:
        """Build the serving model's word sets and token masks now (~1–2 s, once per model)
        rather than in its first request with a scheme or strict words; safe from any thread."""
        words = model_words(self._model)
        for needed in range(1, 4):  # AABB and ABCB, AAB-, AAAA
            words.rhymable(needed)
        token_table(self._model)

    def swap(self, model: LoadedModel) -> LoadedModel:
        """Serve `model` from now on; returns the previous one. Running requests are not
        disturbed: they finish in the previous model's batches, which then end."""
        model = model.with_style_strength(self.style_strength)
        runners = self._start(model)
        with self._swap_lock:
            previous, self._model = self._model, model
            old, self._runners = self._runners, runners
        for runner in old:
            runner.close()
        return previous

    def close(self) -> None:
        """Finish what is running, then stop the generation threads."""
        for runner in self._runners:
            runner.close(wait=True)
        self._beams.shutdown(wait=True)

    def submit(
        self,
        seed: str,
        params: SamplingParams | None = None,
        *,
        cancel: threading.Event | None = None,
        on_lines: LinesCallback | None = None,
    ) -> Future[GenerationResult]:
        """Start continuing `seed` and return at once. A bad seed, or a song form this model
        cannot write (ConfigError), raises here; setting
        `cancel` stops the work within one step with GenerationCancelled, so a time budget
        really frees the batch. `on_lines` hears the whole lines written so far, each time
        there are more (sampling only; a beam search has no lines until it ends)."""
        params = params or SamplingParams()
        if params.rng_seed is None:
            params = params.with_seed(secrets.randbelow(2**31))
        started = time.perf_counter()
        with self._swap_lock:
            loaded = self._model
            runner = min(self._runners, key=lambda r: r.load)
        prepared = prepare_seed(loaded.tokenizer, seed, params.style)
        if params.shapes_lines:
            model_words(loaded).check_form(
                params.words, most_rhymes(params.scheme), near=params.near_rhyme
            )
        if params.beam > 1:
            outputs = self._beams.submit(_beam, loaded, prepared, params, cancel)
        else:
            outputs = runner.submit(prepared, params, cancel, on_lines)
        return _relay(outputs, lambda o: _result(loaded, prepared, params, o, started))

    def generate(
        self,
        seed: str,
        params: SamplingParams | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> GenerationResult:
        """`submit` and wait."""
        return self.submit(seed, params, cancel=cancel).result()


def _beam(
    loaded: LoadedModel, seed: PreparedSeed, params: SamplingParams, cancel: threading.Event | None
) -> list[Output]:
    with torch.inference_mode():
        return beam_search(loaded, seed, params, cancel)


def _result(
    loaded: LoadedModel,
    seed: PreparedSeed,
    params: SamplingParams,
    outputs: list[Output],
    started: float,
) -> GenerationResult:
    assert params.rng_seed is not None
    return GenerationResult(
        seed=seed.text,
        continuations=[o.text for o in outputs],
        rng_seed=params.rng_seed,
        model_version=loaded.version,
        tokens_generated=sum(o.tokens for o in outputs),
        seconds=time.perf_counter() - started,
        unknown=seed.unknown,
    )


def _relay(inner: Future[T], build: Callable[[T], R]) -> Future[R]:
    """A future for `build(inner's result)`, completed on the thread that completes `inner`."""
    outer: Future[R] = Future()
    outer.set_running_or_notify_cancel()

    def done(future: Future[T]) -> None:
        try:
            outer.set_result(build(future.result()))
        except BaseException as exc:  # the caller sees exactly what the generation raised
            outer.set_exception(exc)

    inner.add_done_callback(done)
    return outer
