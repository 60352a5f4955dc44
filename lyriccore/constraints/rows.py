"""Applying the constraints to a row's logits, in a fixed order, in place.

A constraint is a function (tracker, goal, token table, lexicon) → the tokens the row may take
next, or None for "any". Adding one is a new module and one entry in `CONSTRAINTS`; the
batched step does not change. An empty intersection (a word list and an ending set that share
no path) falls back to the earlier constraints, so a row is never left without a token it may
write (<unk> and style tokens are never written, whatever a mask says).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lyriccore.constraints.allowed_words import allowed_words
from lyriccore.constraints.goal import RowGoal
from lyriccore.constraints.line_ending import line_ending
from lyriccore.constraints.tokens import TokenTable
from lyriccore.constraints.tracker import LineTracker
from lyriccore.pronounce import Lexicon

Constraint = Callable[[LineTracker, RowGoal, TokenTable, Lexicon], np.ndarray | None]
CONSTRAINTS: tuple[Constraint, ...] = (allowed_words, line_ending)


class RowConstraints:
    """Applies the constraints to rows of logits, in order, in place."""

    def __init__(self, table: TokenTable, lexicon: Lexicon) -> None:
        self.table = table
        self.lexicon = lexicon

    def mask_row(self, logits: np.ndarray, t: LineTracker, goal: RowGoal) -> None:
        allowed: np.ndarray | None = None
        for constraint in CONSTRAINTS:
            mask = constraint(t, goal, self.table, self.lexicon)
            if mask is None:
                continue
            joined = mask if allowed is None else allowed & mask
            if joined[self.table.first :].any():  # a token that may be written is left
                allowed = joined
        if allowed is not None:
            logits[~allowed] = -np.inf
