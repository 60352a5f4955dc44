"""The plain way to sample: torch's own LSTM step, one request alone, one token at a time.

Serving takes a faster road (numpy step, requests batched together: batcher.py). This is the
oracle it is held to: for the same RNG seed both must write the same text, which the tests
check on a tiny model and the benchmark on the real one. It drives the same `Decoding` as a
served request (same draws, masks and line choices), so any difference comes from the
arithmetic alone.
"""

from __future__ import annotations

import numpy as np
import torch

from lyriccore.checkpoint import LoadedModel
from lyriccore.decoding import Decoding
from lyriccore.rowstore import TorchRows
from lyriccore.sampling import SamplingParams, choose_tokens
from lyriccore.seeds import prepare_seed, seed_input


def plain_sample(loaded: LoadedModel, seed: str, params: SamplingParams) -> list[str]:
    """The texts (seed included) that `Generator.generate(seed, params).texts` should give."""
    model, tokenizer = loaded.model, loaded.tokenizer
    prepared = prepare_seed(tokenizer, seed, params.style)
    run = Decoding(loaded, prepared, params)
    n = run.rows
    with torch.inference_mode():
        first, state = model(seed_input(model, tokenizer, prepared))
        offset = model.style_offset(prepared.slot)
        logits = np.repeat(first[:, -1].float().numpy(), n, axis=0)
        state = (state[0].repeat(1, n, 1), state[1].repeat(1, n, 1))
        while True:
            run.anneal()
            run.constrain(logits)
            chosen = choose_tokens(
                logits, run.knobs, _recent(run), run.uniforms(), tokenizer.reserved
            )
            if run.push(chosen.tolist()):
                break
            step, state = model.step(torch.from_numpy(chosen) + offset, state)
            logits = step.float().numpy().copy()
            run.after_step(TorchRows(state, logits))
    return [prepared.text + o.text for o in run.outputs()]


def _recent(run: Decoding) -> np.ndarray:
    if run.params.repetition_penalty == 1.0:
        return np.empty((run.rows, 0), np.int64)
    width = run.recent_width()
    return np.array(run.recent(width), np.int64).reshape(run.rows, width)
