"""What counts as a word, and sorted word sets that answer prefix questions fast.

A word is a run of letters and apostrophes ("don't", "o'er", "lovin'"); hyphens, digits,
spaces and punctuation end it, so "well-a-day" is three words. Decoding and measuring use the
same definition, so strict mode is held to exactly what the metrics count. Words are compared
lowercased: a capital at a line start is the same word.

`WordSet` keeps its words sorted, so "which letters can follow this prefix" is a handful of
binary searches (one per distinct next letter) instead of a trie of Python dicts, which for the
~130k lexicon words would cost ~100 MB and seconds to build.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable
from importlib import resources

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|')*|'(?:[^\W\d_]|')*", re.UNICODE)
_PAST_ALL = "\U0010ffff"
_KEYS = itertools.count()


def is_word_char(char: str) -> bool:
    """Letters and the apostrophe continue a word; everything else ends it."""
    return char == "'" or (char.isalpha() and not char.isdigit())


def word_runs(text: str) -> list[str]:
    """The words of `text`, lowercased, in order."""
    return [w.lower() for w in _WORD.findall(text) if w.strip("'")]


@functools.cache
def common_words() -> frozenset[str]:
    """Everyday English words (data/words/SOURCE.md): what the lexicon may add to a model's
    own words. The lexicon alone also holds ~80k surnames and places, which strict mode wrote
    as if they were words ("coutts", "dodsworth")."""
    text = resources.files("lyriccore").joinpath("data/words/common.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def corpus_words(text: str) -> list[str]:
    """The distinct words of a training text, sorted: what a checkpoint carries."""
    return sorted(set(word_runs(text)))


class WordSet:
    """A read-only sorted set of lowercase words; safe to share between threads."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = sorted(set(words))
        self._members = frozenset(self.words)
        self.key = next(_KEYS)  # unique for the process's life: masks are cached by it

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._members

    def is_prefix(self, prefix: str) -> bool:
        at = bisect.bisect_left(self.words, prefix)
        return at < len(self.words) and self.words[at].startswith(prefix)

    def next_chars(self, prefix: str) -> str:
        """Every character that extends `prefix` towards some word of the set."""
        words, found = self.words, []
        at = bisect.bisect_left(words, prefix)
        if at < len(words) and words[at] == prefix:
            at += 1
        depth = len(prefix)
        while at < len(words) and words[at].startswith(prefix):
            char = words[at][depth]
            found.append(char)
            at = bisect.bisect_left(words, prefix + char + _PAST_ALL, at)
        return "".join(found)
