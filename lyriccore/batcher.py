"""Continuous batching: every running request of one model is stepped together.

One thread owns the batch. Requests join between two steps (their seed is read by the torch
model in one pass, then their rows are appended) and leave as soon as they are done, so a short
answer never waits for a long one and a new request never waits for a batch to end. Each
request keeps its own settings (per-row knobs) and its own random generator, drawing exactly
the numbers it would draw alone: batched or not, a seed gives the same text (up to float
rounding in the matrix products, see tests/lyriccore/test_batching.py).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import torch

from lyriccore.checkpoint import LoadedModel
from lyriccore.cpu_lstm import CpuState
from lyriccore.decoding import Decoding
from lyriccore.errors import GenerationCancelled
from lyriccore.rowstore import NumpyRows
from lyriccore.sampling import RowKnobs, SamplingParams, choose_tokens
from lyriccore.seeds import PreparedSeed, seed_input
from lyriccore.serving_step import StepModel
from lyriccore.streams import Output

log = logging.getLogger(__name__)
LinesCallback = Callable[[str], None]
"""Called on the batch thread with a request's whole lines so far, each time there are more:
it must be quick and thread-safe (hand the text over, do nothing else)."""


@dataclass(eq=False)
class Job:
    """One request: its rows' `Decoding` (made when it joins) and the future it answers."""

    seed: PreparedSeed
    params: SamplingParams
    cancel: threading.Event | None
    on_lines: LinesCallback | None = None
    future: Future[list[Output]] = field(default_factory=Future)
    decoding: Decoding | None = None
    lines_reported: int = 0

    def report(self) -> None:
        """Tell the caller about lines finished since the last step (batch thread)."""
        if self.on_lines is None:
            return
        count, text = self.run.progress()
        if count > self.lines_reported:
            self.lines_reported = count
            try:
                self.on_lines(text)
            except Exception:  # a listener's failure costs its progress, never the batch
                log.exception("a progress listener failed")

    @property
    def rows(self) -> int:
        return self.params.samples * self.params.best_of

    @property
    def run(self) -> Decoding:
        assert self.decoding is not None, "a job decodes only once it has joined"
        return self.decoding


class BatchRunner:
    """Generates for one loaded model on one thread; `submit` from any thread."""

    def __init__(self, loaded: LoadedModel, cpu: StepModel) -> None:
        self.loaded = loaded
        self._cpu = cpu
        self._wake = threading.Condition()
        self._pending: deque[Job] = deque()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._jobs: list[Job] = []
        self._state = self._cpu.initial_state(0)
        self._logits = np.zeros((0, self._cpu.vocab), np.float32)
        self._knobs: RowKnobs | None = None  # every row's settings, rebuilt when rows change

    @property
    def active_rows(self) -> int:
        return self._state.rows

    @property
    def load(self) -> int:
        """Rows running and waiting to join: where a new request is cheapest."""
        with self._wake:
            return self.active_rows + sum(job.rows for job in self._pending)

    def submit(
        self,
        seed: PreparedSeed,
        params: SamplingParams,
        cancel: threading.Event | None,
        on_lines: LinesCallback | None = None,
    ) -> Future[list[Output]]:
        job = Job(seed, params, cancel, on_lines)
        with self._wake:
            if self._closed:
                raise RuntimeError("this model is no longer served")
            self._pending.append(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="generate-batch", daemon=True
                )
                self._thread.start()
            self._wake.notify()
        return job.future

    def close(self, *, wait: bool = False) -> None:
        """Take no new requests; the thread ends once the running and waiting ones are done."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if wait and thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._jobs and not self._closed:
                    self._wake.wait()
                if self._closed and not self._pending and not self._jobs:
                    return
                arrivals = list(self._pending)
                self._pending.clear()
            for job in arrivals:
                try:
                    self._admit(job)
                except Exception as exc:  # this request fails, clearly; the batch goes on
                    log.exception("could not start a generation")
                    job.future.set_exception(exc)
            try:
                if self._jobs:
                    self._step()
            except Exception as exc:  # a bug must fail the requests, not hang them
                log.exception("batched generation failed")
                for job in self._jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
                self._jobs, self._state = [], self._cpu.initial_state(0)
                self._logits, self._knobs = self._logits[:0], None

    def _admit(self, job: Job) -> None:
        """Read the seed in one pass of the torch model, then add the request's rows."""
        if not job.future.set_running_or_notify_cancel():
            return
        model, n = self.loaded.model, job.rows
        with torch.inference_mode():
            logits, state = model(seed_input(model, self.loaded.tokenizer, job.seed))
        cpu_state = CpuState.from_torch(state, n, model.style_offset(job.seed.slot))
        first = np.repeat(logits[0, -1:].float().numpy(), n, axis=0)
        job.decoding = Decoding(self.loaded, job.seed, job.params)
        self._jobs.append(job)
        self._state = CpuState.join([self._state, cpu_state])
        self._logits = np.concatenate([self._logits, first])
        self._knobs = None

    def _step(self) -> None:
        """Choose one token for every row, retire finished requests, feed the rest."""
        keep = [not self._cancelled(job) for job in self._jobs]
        if not all(keep):
            self._keep(keep)
            if not self._jobs:
                return
        annealing = [job for job in self._jobs if job.params.anneal_to is not None]
        for job in annealing:
            job.run.anneal()
        if self._knobs is None or annealing:
            self._knobs = RowKnobs.join([job.run.knobs for job in self._jobs])
        spans = self._spans()
        for job, rows in spans:
            job.run.constrain(self._logits[rows])
        uniforms = np.concatenate([job.run.uniforms() for job in self._jobs])
        reserved = self.loaded.tokenizer.reserved
        chosen = choose_tokens(self._logits, self._knobs, self._recent(), uniforms, reserved)
        tokens, finished = chosen.tolist(), []
        for job, rows in spans:
            if job.run.push(tokens[rows]):
                finished.append(job)
        rows_kept = self._keep([job not in finished for job in self._jobs])
        for job in finished:
            job.future.set_result(job.run.outputs())
        if self._jobs:
            self._feed(chosen[rows_kept])
            for job, rows in self._spans():
                job.run.after_step(NumpyRows(self._state, self._logits, rows.start))
                job.report()

    def _feed(self, tokens: np.ndarray) -> None:
        """Step the model on the rows that still write; rows waiting for their line's other
        candidates (best of K) keep their state, which saves a quarter of a shaped batch."""
        live = np.concatenate([job.run.stepping() for job in self._jobs])
        if live.all():
            self._logits = self._cpu.step(tokens, self._state)
            return
        part = self._state.select(live)
        stepped = self._cpu.step(tokens[live], part)
        self._state.h[:, live], self._state.c[..., live] = part.h, part.c
        logits = np.array(self._logits)
        logits[live] = stepped
        self._logits = logits

    def _spans(self) -> list[tuple[Job, slice]]:
        """Each running job with its slice of the batch's rows."""
        spans, start = [], 0
        for job in self._jobs:
            spans.append((job, slice(start, start + job.rows)))
            start += job.rows
        return spans

    def _cancelled(self, job: Job) -> bool:
        if job.cancel is None or not job.cancel.is_set():
            return False
        job.future.set_exception(GenerationCancelled("generation was cancelled"))
        return True

    def _keep(self, keep: list[bool]) -> np.ndarray | slice:
        """Drop the rows of requests not kept; returns what selects the kept rows."""
        if all(keep):  # the common step: no mask to build
            return slice(None)
        rows = np.repeat(np.array(keep, bool), [job.rows for job in self._jobs])
        self._jobs = [job for job, kept in zip(self._jobs, keep, strict=True) if kept]
        self._state = self._state.select(rows)
        self._logits = self._logits[rows]
        self._knobs = None
        return rows

    def _recent(self) -> np.ndarray:
        """(rows, W) of recent tokens for the repetition penalty; empty when no one uses it."""
        penalised = [j for j in self._jobs if j.params.repetition_penalty != 1.0]
        if not penalised:
            return np.empty((self.active_rows, 0), np.int64)
        width = max(job.run.recent_width() for job in penalised)
        rows = [r for job in self._jobs for r in job.run.recent(width)]
        return np.array(rows, np.int64).reshape(self.active_rows, width)
