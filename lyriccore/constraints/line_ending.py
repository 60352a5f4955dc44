"""A line ends only when it may — enough syllables, on a word that rhymes as the scheme
asks — and is made to end once its syllable budget is spent; past `force_at` syllables its
next word is walked only towards the ending words (the forced rhyme), and the line ends on it.
With a scheme, stanza breaks come from the scheme (a blank line before each stanza, none
inside one)."""

from __future__ import annotations

import numpy as np

from lyriccore.constraints.goal import RowGoal
from lyriccore.constraints.tokens import TokenTable
from lyriccore.constraints.tracker import LineTracker
from lyriccore.pronounce import Lexicon

LONG_LINE_CHARS = 90  # a line this long ends at the next word it may end on
HARD_LINE_CHARS = 160  # and one this long ends at its next finished word, whatever it is


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
    if not goal.stanzas:  # one blank line between stanzas at most: an answer is one song
        return ~table.space if t.newlines < 2 else ~(table.space | table.newline)
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
        mask = table.continuing(goal.ending, t.partial, t.capitals)
        return mask | table.newline if t.partial in goal.ending else mask
    if ends_well and t.words:
        return table.newline
    if t.after_space:
        return table.continuing(goal.ending, "")
    return table.space
