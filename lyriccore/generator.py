"""Generation: a thread-safe `Generator` that serves one loaded model to many callers.

The seed is fed once as a whole sequence; then one token per step is produced for every
stream at once, carrying the LSTM state. A model can be swapped while requests run: each
request takes a reference to the model it started with and finishes on it.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from lyriccore.beam import beam_search
from lyriccore.cancellation import check_cancel
from lyriccore.checkpoint import LoadedModel, load_model
from lyriccore.sampling import RowKnobs, SamplingParams, choose_tokens, temperature_at
from lyriccore.seeds import PreparedSeed, prepare_seed, start_ids
from lyriccore.streams import Output, Stream, finish_text


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
    """Serves generation from one model at a time; safe to call from many threads."""

    def __init__(self, model: LoadedModel, *, threads: int | None = None) -> None:
        if threads:
            torch.set_num_threads(threads)
        self._model = model
        self._swap_lock = threading.Lock()

    @classmethod
    def from_path(cls, path: Path, *, threads: int | None = None) -> Generator:
        return cls(load_model(path), threads=threads)

    @property
    def model(self) -> LoadedModel:
        return self._model

    def swap(self, model: LoadedModel) -> LoadedModel:
        """Serve `model` from now on; returns the previous one. Running requests are not
        disturbed: they hold their own reference."""
        with self._swap_lock:
            previous, self._model = self._model, model
        return previous

    def generate(
        self,
        seed: str,
        params: SamplingParams | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> GenerationResult:
        """Continue `seed`. Setting `cancel` from another thread stops the work within one
        step with GenerationCancelled, so a time budget really frees the worker."""
        params = params or SamplingParams()
        if params.rng_seed is None:
            params = params.with_seed(secrets.randbelow(2**31))
        assert params.rng_seed is not None
        loaded = self._model
        started = time.perf_counter()
        prepared = prepare_seed(loaded.tokenizer, seed)
        with torch.inference_mode():
            if params.beam > 1:
                outputs = beam_search(loaded, prepared, params, cancel)
            else:
                outputs = sample(loaded, prepared, params, cancel)
        return GenerationResult(
            seed=prepared.text,
            continuations=[o.text for o in outputs],
            rng_seed=params.rng_seed,
            model_version=loaded.version,
            tokens_generated=sum(o.tokens for o in outputs),
            seconds=time.perf_counter() - started,
            unknown=prepared.unknown,
        )


def sample(
    loaded: LoadedModel,
    seed: PreparedSeed,
    params: SamplingParams,
    cancel: threading.Event | None = None,
) -> list[Output]:
    """Sample `params.samples` continuations in one batched pass."""
    n, model, tokenizer = params.samples, loaded.model, loaded.tokenizer
    device = next(model.parameters()).device
    rng = torch.Generator().manual_seed(int(params.rng_seed or 0))
    ids = torch.tensor([start_ids(tokenizer, seed.ids)], device=device)
    logits, state = model(ids)  # feed the whole seed once: (1, T, V)
    logits = logits[:, -1].expand(n, -1)
    state = (state[0].repeat(1, n, 1), state[1].repeat(1, n, 1))
    streams = [Stream(tokenizer, seed.text, params) for _ in range(n)]
    knobs = _knobs(streams, params)
    for _ in range(params.max_tokens):
        check_cancel(cancel)
        if params.anneal_to is not None:
            knobs.temperature = _temperatures(streams, params)
        uniforms = torch.rand(n, generator=rng)
        recent = _recent(streams, params)
        chosen = choose_tokens(logits.cpu(), knobs, recent, uniforms)
        for stream, token in zip(streams, chosen.tolist(), strict=True):
            stream.push(token)
        if all(s.done for s in streams):
            break
        logits, state = model.step(chosen.to(device), state)
    return [finish_text(s) for s in streams]


def _temperatures(streams: list[Stream], params: SamplingParams) -> torch.Tensor:
    return torch.tensor([temperature_at(params, s.progress) for s in streams])


def _knobs(streams: list[Stream], params: SamplingParams) -> RowKnobs:
    """Built once per request; only an annealed temperature changes from step to step."""
    n = len(streams)
    return RowKnobs(
        temperature=_temperatures(streams, params),
        top_k=torch.full((n,), params.top_k, dtype=torch.long),
        top_p=torch.full((n,), params.top_p),
        penalty=torch.full((n,), params.repetition_penalty),
        greedy=torch.full((n,), params.greedy, dtype=torch.bool),
    )


def _recent(streams: list[Stream], params: SamplingParams) -> torch.Tensor:
    """(N, W) of each stream's last W generated tokens, -1 padded; empty when no penalty."""
    if params.repetition_penalty == 1.0:
        return torch.empty((len(streams), 0), dtype=torch.long)
    rows = [s.ids[-params.repetition_window :] for s in streams]
    width = max((len(r) for r in rows), default=0)
    return torch.tensor([[-1] * (width - len(r)) + r for r in rows], dtype=torch.long)
