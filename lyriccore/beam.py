"""Beam search: the most likely continuations rather than sampled ones.

Scores are summed log-probabilities divided by length**0.7, so finished short beams do not
always beat longer ones. Sampling knobs (temperature, top-k/p, penalties) do not apply here.
"""

from __future__ import annotations

import threading

import torch

from lyriccore.cancellation import check_cancel
from lyriccore.checkpoint import LoadedModel
from lyriccore.sampling import SamplingParams
from lyriccore.seeds import PreparedSeed, seed_input
from lyriccore.streams import Output, Stream, finish_text

LENGTH_ALPHA = 0.7


def _normalised(score: float, stream: Stream) -> float:
    return score / max(1, len(stream.ids)) ** LENGTH_ALPHA


def beam_search(
    loaded: LoadedModel,
    seed: PreparedSeed,
    params: SamplingParams,
    cancel: threading.Event | None = None,
) -> list[Output]:
    model, tokenizer, width = loaded.model, loaded.tokenizer, params.beam
    device = next(model.parameters()).device
    logits, state = model(seed_input(model, tokenizer, seed).to(device))
    offset = model.style_offset(seed.slot)
    logits = logits[:, -1]  # (1, V): the seed's last position
    beams = [(0.0, Stream(tokenizer, seed.text, params))]
    finished: list[tuple[float, Stream]] = []
    for _ in range(params.max_tokens):
        check_cancel(cancel)
        logp = torch.log_softmax(logits.float(), dim=-1).cpu()  # (nb, V)
        logp[:, : tokenizer.reserved] = float("-inf")  # never <unk> or a style token
        totals = torch.tensor([score for score, _ in beams])[:, None] + logp
        top = totals.flatten().topk(min(2 * width, totals.numel()))
        parents, survivors = [], []
        for score, flat in zip(top.values.tolist(), top.indices.tolist(), strict=True):
            parent, token = divmod(flat, logp.size(1))
            child = beams[parent][1].fork(token)
            if child.done:
                finished.append((_normalised(score, child), child))
            elif len(survivors) < width:
                parents.append(parent)
                survivors.append((score, child))
        if len(finished) >= width or not survivors:
            break
        index = torch.tensor(parents, device=device)
        state = (state[0][:, index], state[1][:, index])
        tokens = torch.tensor([s.ids[-1] + offset for _, s in survivors], device=device)
        logits, state = model.step(tokens, state)
        beams = survivors
    else:
        finished.extend((_normalised(score, s), s) for score, s in beams)
    finished.sort(key=lambda item: item[0], reverse=True)
    return [finish_text(stream) for _, stream in finished[: params.samples]]
