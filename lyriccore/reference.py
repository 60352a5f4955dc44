"""The plain way to sample: torch's own LSTM step, one request alone, one token at a time.

Serving takes a faster road (numpy step, requests batched together: batcher.py). This is the
oracle it is held to: for the same RNG seed both must write the same text, which the tests
check on a tiny model and the benchmark on the real one. It draws the same numbers in the same
order as a served request, so any difference comes from the arithmetic alone.
"""

from __future__ import annotations

import numpy as np
import torch

from lyriccore.checkpoint import LoadedModel
from lyriccore.sampling import RowKnobs, SamplingParams, choose_tokens, temperature_at
from lyriccore.seeds import prepare_seed, start_ids
from lyriccore.streams import Stream


def plain_sample(loaded: LoadedModel, seed: str, params: SamplingParams) -> list[str]:
    """The texts (seed included) that `Generator.generate(seed, params).texts` should give."""
    model, tokenizer = loaded.model, loaded.tokenizer
    prepared, n = prepare_seed(tokenizer, seed), params.samples
    rng = np.random.default_rng(params.rng_seed)
    streams = [Stream(tokenizer, prepared.text, params) for _ in range(n)]
    knobs = RowKnobs.of(params, n)
    with torch.inference_mode():
        logits, state = model(torch.tensor([start_ids(tokenizer, prepared.ids)]))
        logits = logits[:, -1].expand(n, -1)
        state = (state[0].repeat(1, n, 1), state[1].repeat(1, n, 1))
        chosen: np.ndarray | None = None
        while not all(s.done for s in streams):
            if chosen is not None:
                logits, state = model.step(torch.from_numpy(chosen), state)
            knobs.temperature = np.array(
                [temperature_at(params, s.progress) for s in streams], np.float32
            )
            chosen = choose_tokens(logits.numpy(), knobs, _recent(streams, params), rng.random(n))
            for stream, token in zip(streams, chosen.tolist(), strict=True):
                stream.push(token)
    return [prepared.text + s.text.rstrip() for s in streams]


def _recent(streams: list[Stream], params: SamplingParams) -> np.ndarray:
    if params.repetition_penalty == 1.0:
        return np.empty((len(streams), 0), np.int64)
    rows = [s.ids[-params.repetition_window :] for s in streams]
    width = max(len(r) for r in rows)
    return np.array([[-1] * (width - len(r)) + r for r in rows], np.int64).reshape(len(rows), width)
