"""What serving weights cost in quality: the NLL per token a serving step gives a text.

Teacher-forced through the step itself (not the torch model), so the figure is the served
arithmetic's: the text is cut into `lanes` consecutive pieces stepped side by side, each from
a zero state (as a seedless request starts). Used by the tests' 0.5 % bound and the bench.
"""

from __future__ import annotations

import numpy as np

from lyriccore.serving_step import StepModel


def nll_per_token(step: StepModel, ids: list[int], lanes: int = 16) -> float:
    """Mean negative log-likelihood (nats) of each token given the ones before it in its lane."""
    length = len(ids) // lanes
    if length < 2:
        raise ValueError("the text is too short for that many lanes")
    grid = np.array(ids[: length * lanes], np.int64).reshape(lanes, length)  # (lanes, T)
    state, total = step.initial_state(lanes), 0.0
    for t in range(length - 1):
        logits = step.step(grid[:, t], state).astype(np.float64)  # (lanes, V)
        top = logits.max(axis=1, keepdims=True)
        log_z = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        total += float((log_z - logits[np.arange(lanes), grid[:, t + 1]]).sum())
    return total / (lanes * (length - 1))
