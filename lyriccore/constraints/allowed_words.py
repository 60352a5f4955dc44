"""Every word a row finishes is in the allowed set: a prefix walk for a char model (only
letters that lead towards an allowed word; a space, punctuation or newline only once the word
is complete), a vocabulary mask for a word model. The seed's own unfinished word, when no
allowed word starts with it, is left to finish freely."""

from __future__ import annotations

import numpy as np

from lyriccore.constraints.goal import RowGoal
from lyriccore.constraints.tokens import TokenTable
from lyriccore.constraints.tracker import LineTracker
from lyriccore.pronounce import Lexicon


def allowed_words(
    t: LineTracker, goal: RowGoal, table: TokenTable, lexicon: Lexicon
) -> np.ndarray | None:
    if goal.words is None or t.free_partial:
        return None
    if not table.char_level:
        return table.continuing(goal.words, "") | ~table.wordish
    letters = table.continuing(goal.words, t.partial, t.capitals)
    if t.partial and t.partial not in goal.words:
        return letters
    if not t.partial and t.after_space:  # one space between words, none to open a line
        return letters | (~table.wordish & ~table.space)
    return letters | ~table.wordish
