"""What each token of a vocabulary is, for masking: letters, spaces, newline, the rest.

Masks are boolean (V,) arrays, cached by the question asked, so a step costs a dictionary
look-up per row once the common prefixes have been seen.
"""

from __future__ import annotations

import threading
from collections import defaultdict

import numpy as np

from lyriccore.tokenizer import Tokenizer
from lyriccore.words import WordSet, is_word_char, word_runs

MAX_CACHED_MASKS = 50_000
CLOSING = frozenset(",.!?;:")


class TokenTable:
    """Token classes of one tokenizer; read-only but for its mask cache (locked)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        tokens, size = tokenizer.tokens, tokenizer.vocab_size
        self.size = size
        self.char_level = tokenizer.level == "char"
        self.newline = np.zeros(size, bool)
        self.space = np.zeros(size, bool)
        self.wordish = np.zeros(size, bool)  # letters (char level) or word tokens (word level)
        self._by_char: dict[str, list[int]] = defaultdict(list)
        self._lower_by_char: dict[str, list[int]] = defaultdict(list)  # no capitals
        self._last_word: list[str] = [""] * size
        self._runs: list[list[str]] = [[] for _ in range(size)]
        self.first = first = tokenizer.reserved  # <unk> and style tokens are never written
        for i, token in enumerate(tokens[first:], start=first):
            self.newline[i] = token == "\n"
            self.space[i] = token.isspace() and token != "\n"
            runs = word_runs(token)
            if self.char_level and len(token) == 1 and is_word_char(token):
                self.wordish[i] = True
                self._by_char[token.lower()].append(i)
                if token == token.lower():
                    self._lower_by_char[token].append(i)
            elif not self.char_level and runs:
                self.wordish[i], self._runs[i], self._last_word[i] = True, runs, runs[-1]
        self.closing = np.array([t in CLOSING for t in tokens], bool)  # may end a line
        self._cache: dict[tuple[object, ...], np.ndarray] = {}
        self._lock = threading.Lock()

    def runs(self, token: int) -> list[str]:
        """The words a word-level token writes (a hyphenated token writes several)."""
        return self._runs[token]

    def continuing(self, words: WordSet, prefix: str, capitals: bool = True) -> np.ndarray:
        """Word tokens that lead from `prefix` towards a word of `words`; without `capitals`
        (inside a word not begun in capitals), lower-case letters only: words are looked up
        lowercased, and "purloIn" is no word."""
        key = ("cont", words.key, prefix, capitals)
        found = self._cache.get(key)
        if found is None:
            found = np.zeros(self.size, bool)
            if self.char_level:
                letters = self._by_char if capitals else self._lower_by_char
                for char in words.next_chars(prefix):
                    found[letters.get(char, [])] = True
            elif not prefix:
                found[[i for i, w in enumerate(self._runs) if w and all(r in words for r in w)]] = (
                    True
                )
            self._store(key, found)
        return found

    def ending_in(self, words: WordSet) -> np.ndarray:
        """Word-level tokens whose last word is in `words` (char level: none)."""
        key = ("end", words.key)
        found = self._cache.get(key)
        if found is None:
            found = np.array([bool(w) and w in words for w in self._last_word], bool)
            self._store(key, found)
        return found

    def _store(self, key: tuple[object, ...], mask: np.ndarray) -> None:
        with self._lock:
            if len(self._cache) >= MAX_CACHED_MASKS:
                self._cache.clear()
            self._cache[key] = mask
