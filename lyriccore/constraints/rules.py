"""The constraints: each says which tokens a row may take next, from its tracker and goal.

- `allowed_words`: every finished word is in the word set (a prefix walk for a char model,
  a vocabulary mask for a word model);
- `line_ending`: the line ends only when it may — enough syllables, on a word that rhymes as
  the scheme asks — and is made to end once its syllable budget is spent; past `force_at`
  syllables its next word is walked only towards the ending words (the forced rhyme).

`RowConstraints` applies them in that order; an empty intersection (a word list and an ending
set that share no path) falls back to the earlier constraints, so a row never has no token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lyriccore.constraints.tokens import TokenTable
from lyriccore.constraints.tracker import LineTracker
from lyriccore.pronounce import Lexicon
from lyriccore.words import WordSet

LONG_LINE_CHARS = 90  # a line this long ends at the next word it may end on
HARD_LINE_CHARS = 160  # and one this long ends at its next finished word, whatever it is


@dataclass(frozen=True)
class RowGoal:
    """One line's requirements for one row; set at every line start."""

    words: WordSet | None = None  # the words a finished word must be in (None: any)
    syllables: int | None = None
    tolerance: int = 1
    ending: WordSet | None = None  # the words the line may end on (None: any)
    force_at: int = 10**6  # from this many syllables, the next word is an ending word
    stanzas: bool = False  # a scheme is on: stanza breaks come from it, not the model
    stanza_break: bool = False  # this line starts a stanza: a blank line first


def allowed_words(t: LineTracker, goal: RowGoal, table: TokenTable) -> np.ndarray | None:
    if goal.words is None or t.free_partial:
        return None
    if not table.char_level:
        return table.continuing(goal.words, "") | ~table.wordish
    letters = table.continuing(goal.words, t.partial)
    if t.partial and t.partial not in goal.words:
        return letters
    return letters | ~table.wordish


def line_ending(
    t: LineTracker, goal: RowGoal, table: TokenTable, lexicon: Lexicon
) -> np.ndarray | None:
    if not t.has_text:
        return _line_start(t, goal, table)
    word, in_word = t.last_word, bool(t.partial)
    complete = not in_word or t.free_partial or goal.words is None or word in goal.words
    ends_well = goal.ending is None or word in goal.ending
    if goal.ending is not None and t.syllables >= goal.force_at:
        forced = _forced_word(t, goal, table, ends_well)
        if forced is not None:
            return forced
    syllables = t.syllables_if_ended(lexicon)
    target = goal.syllables
    enough = target is None or syllables >= target - goal.tolerance
    may_end = complete and enough and ends_well and bool(word)
    full = (target is not None and syllables >= target) or t.chars >= LONG_LINE_CHARS
    if may_end and full:
        return table.newline | (table.closing if in_word else False)
    if complete and t.chars >= HARD_LINE_CHARS:
        return table.newline
    return None if may_end else ~table.newline


def _line_start(t: LineTracker, goal: RowGoal, table: TokenTable) -> np.ndarray | None:
    if not goal.stanzas:
        return ~table.space
    if goal.stanza_break and t.newlines < 2:
        return table.newline
    return ~(table.newline | table.space)


def _forced_word(
    t: LineTracker, goal: RowGoal, table: TokenTable, ends_well: bool
) -> np.ndarray | None:
    """Past the budget: walk the next word towards an ending word, then end the line."""
    assert goal.ending is not None
    if t.partial:
        if not t.partial_after_space or t.free_partial:
            return None  # a word begun before the budget ran out finishes freely
        mask = table.continuing(goal.ending, t.partial)
        return mask | table.newline if t.partial in goal.ending else mask
    if ends_well and t.words:
        return table.newline
    if t.after_space:
        return table.continuing(goal.ending, "")
    return table.space


class RowConstraints:
    """Applies the constraints to rows of logits, in order, in place."""

    def __init__(self, table: TokenTable, lexicon: Lexicon) -> None:
        self.table = table
        self.lexicon = lexicon

    def mask_row(self, logits: np.ndarray, t: LineTracker, goal: RowGoal) -> None:
        allowed: np.ndarray | None = None
        for mask in (
            allowed_words(t, goal, self.table),
            line_ending(t, goal, self.table, self.lexicon),
        ):
            if mask is None:
                continue
            joined = mask if allowed is None else allowed & mask
            if joined[1:].any():
                allowed = joined
        if allowed is not None:
            logits[~allowed] = -np.inf
