"""Per-row state of the line being written: its words, the word in progress, its syllables.

This is the state every constraint reads. It is copied when a row is forked (best of K) and
dropped with the row, so rows never share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from lyriccore.pronounce import Lexicon
from lyriccore.words import is_word_char, word_runs


@dataclass
class LineTracker:
    words: list[str] = field(default_factory=list)  # finished words of this line
    partial: str = ""  # the word being written, lowercased (char level only)
    partial_after_space: bool = True  # it began after a space or at the line start
    capitals: bool = True  # a capital may come next: at a word's start, or after capitals only
    after_space: bool = True
    has_text: bool = False
    newlines: int = 1  # newlines just written: 2 means a blank line came before this line
    syllables: int = 0  # of the finished words
    chars: int = 0
    free_partial: bool = False  # the seed's own last word, which no word list holds to

    def copy(self) -> LineTracker:
        return replace(self, words=list(self.words))

    @property
    def last_word(self) -> str:
        return self.partial or (self.words[-1] if self.words else "")

    def syllables_if_ended(self, lexicon: Lexicon) -> int:
        return self.syllables + (lexicon.syllables(self.partial) if self.partial else 0)

    def feed_char(self, char: str, lexicon: Lexicon) -> None:
        if is_word_char(char):
            if not self.partial:
                self.partial_after_space = self.after_space or not self.has_text
            self.partial += char.lower()
            self.capitals = self.capitals and char.isupper()
            self.has_text, self.after_space, self.newlines = True, False, 0
            self.chars += 1
            return
        if self.partial:
            self._finish([self.partial], lexicon)
            self.partial, self.free_partial, self.capitals = "", False, True
        self._feed_other(char)

    def feed_piece(self, piece: str, lexicon: Lexicon) -> None:
        """A word-level token: a whole word (or several, hyphenated), punctuation or newline."""
        runs = word_runs(piece)
        if runs:
            self._finish(runs, lexicon)
            self.has_text, self.after_space, self.newlines = True, True, 0
            self.chars += len(piece) + 1
        else:
            self._feed_other(piece)
            self.after_space = True

    def _finish(self, words: list[str], lexicon: Lexicon) -> None:
        self.words.extend(words)
        self.syllables += sum(lexicon.syllables(w) for w in words)

    def _feed_other(self, piece: str) -> None:
        if piece == "\n":
            self.words, self.syllables, self.chars = [], 0, 0
            self.has_text, self.after_space = False, True
            self.newlines += 1
            return
        self.chars += len(piece)
        self.after_space = piece.isspace()
        if not piece.isspace():
            self.has_text, self.newlines = True, 0
