"""What one line must do, for one row: set by the line chooser at every line start."""

from __future__ import annotations

from dataclasses import dataclass

from lyriccore.words import WordSet


@dataclass(frozen=True)
class RowGoal:
    """One line's requirements for one row; set at every line start."""

    words: WordSet | None = None  # the words a finished word must be in (None: any)
    syllables: int | None = None
    tolerance: int = 1
    ending: WordSet | None = None  # the words the line may end on (None: any)
    force_at: int = 10**6  # from this many syllables, the next word is an ending word
    stanzas: bool = False  # stanza breaks come from the scheme (or there are none), not the model
    stanza_break: bool = False  # this line starts a stanza: a blank line first
