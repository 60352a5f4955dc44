"""The words one model may write, and which of them rhyme: built once per model, then shared.

"Known" words are what the model learnt to spell: its training corpus's words (those its
vocabulary can write), or, for a checkpoint older than the word list, the lexicon's. Rhymes
are looked up among known words that the lexicon can say, so a forced rhyme is a word the
model writes fluently and a rhyme that is heard, whatever the words mode.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from functools import cached_property

from lyriccore.checkpoint import LoadedModel
from lyriccore.errors import ConfigError
from lyriccore.permodel import PerModel
from lyriccore.pronounce import Lexicon, load_lexicon
from lyriccore.words import WordSet, common_words, word_runs

MAX_APART_SETS = 256  # rhymable sets less a stanza's earlier sounds, kept for reuse

log = logging.getLogger(__name__)
SINGLE_LETTER_WORDS = frozenset("aio")


class ModelWords:
    """Word sets for one model; every property is computed once and read-only after."""

    def __init__(self, loaded: LoadedModel, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.has_corpus_words = loaded.corpus_words is not None
        if not self.has_corpus_words:
            log.warning(
                "%s carries no word list (trained before it was stored): strict words and "
                "rhymes use the lexicon only",
                loaded.version,
            )
        self._spellable = _spellable_test(loaded)
        self._corpus = [w for w in loaded.corpus_words or () if self._spellable(w)]
        # Everyday lexicon words the model can write; letter names ("s", "t") are no words of
        # a song, nor are the lexicon's surnames and places.
        common = common_words()
        self.lexicon_words = WordSet(
            w
            for w in lexicon.words()
            if (len(w) > 1 or w in SINGLE_LETTER_WORDS) and w in common and self._spellable(w)
        )
        self.strict_words = WordSet([*self._corpus, *self.lexicon_words.words])
        self._lock = threading.Lock()
        self._rhymable: dict[tuple[int, bool], WordSet] = {}
        self._apart: dict[tuple[int, bool, frozenset[str]], WordSet] = {}

    def allowed(self, mode: str) -> WordSet | None:
        """The words `words=mode` lets the model finish; None when any word goes."""
        if mode == "off":
            return None
        return self.strict_words if mode == "strict" else self.lexicon_words

    @cached_property
    def known(self) -> WordSet:
        """The words this model learnt to spell (its corpus's, else the lexicon's)."""
        return WordSet(self._corpus) if self._corpus else self.lexicon_words

    @cached_property
    def _by_rhyme(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Known words with a lexicon pronunciation, by rhyming part and by stressed vowel;
        words said unstressed ("the", "a") are left out, as they make no audible rhyme."""
        parts: dict[str, list[str]] = defaultdict(list)
        vowels: dict[str, list[str]] = defaultdict(list)
        for word in self.known.words:
            sound = self.lexicon.sound(word)
            if sound.known and sound.stressed:
                for part in sound.rhymes:
                    parts[part].append(word)
                for vowel in sound.vowels:
                    vowels[vowel].append(word)
        return parts, vowels

    def rhymes_of(self, word: str, *, near: bool = False) -> set[str]:
        """Known words that rhyme with `word` (never `word` itself)."""
        sound = self.lexicon.sound(word)
        index = self._by_rhyme[1 if near else 0]
        keys = sound.vowels if near else sound.rhymes
        found = {w for key in keys for w in index.get(key, ())}
        found.discard(word)
        return found

    def rhymable(self, needed: int, *, near: bool = False) -> WordSet:
        """Known words with at least `needed` known rhymes: where an A-line may end."""
        key = (needed, near)
        with self._lock:
            if key not in self._rhymable:
                index = self._by_rhyme[1 if near else 0]
                words = {w for group in index.values() if len(group) > needed for w in group}
                self._rhymable[key] = WordSet(words)
            return self._rhymable[key]

    def rhymable_apart(self, needed: int, apart: frozenset[str], *, near: bool = False) -> WordSet:
        """Rhymable words (as `rhymable`) that neither are nor rhyme with any of `apart`: where
        a stanza's new rhyme may end. Kept per question, since stanzas ask the same ones and a
        set seen before keeps its cached masks (TokenTable keys them by set)."""
        rhymable = self.rhymable(needed, near=near)
        if not apart:
            return rhymable
        key = (needed, near, apart)
        with self._lock:
            found = self._apart.get(key)
        if found is None:
            avoid = set(apart).union(*(self.rhymes_of(w, near=near) for w in apart))
            fresh = set(rhymable.words) - avoid
            found = WordSet(fresh) if fresh else rhymable
            with self._lock:
                if len(self._apart) >= MAX_APART_SETS:
                    self._apart.clear()
                self._apart[key] = found
        return found

    def check_form(self, words: str, rhymes_needed: int, *, near: bool = False) -> None:
        """Refuse, in one line, a request this model cannot write (rather than hang on it)."""
        allowed = self.allowed(words)
        if allowed is not None and not len(allowed):
            raise ConfigError(f"this model's vocabulary writes no {words} words: use words=off")
        if rhymes_needed and not len(self.rhymable(rhymes_needed, near=near)):
            if not len(self.rhymable(1, near=near)):
                raise ConfigError(
                    "this model's vocabulary cannot rhyme (no two words it knows share a "
                    "rhyming sound): choose the free scheme"
                )
            raise ConfigError(
                f"this model knows no {rhymes_needed + 1} words that rhyme together: "
                "use fewer lines of one letter in the scheme"
            )


def _spellable_test(loaded: LoadedModel) -> Callable[[str], bool]:
    """A test of whether the model can write a word: every character (char level) or the word
    itself (word level) is in its vocabulary."""
    tokenizer = loaded.tokenizer
    if tokenizer.level == "word":
        vocab = {w for token in tokenizer.tokens[tokenizer.reserved :] for w in word_runs(token)}
        return vocab.__contains__
    chars = {t for t in tokenizer.tokens if len(t) == 1}
    lowered = chars if not tokenizer.lowercase else {c.lower() for c in chars}
    return lambda word: all(c in lowered or c.upper() in chars for c in word)


model_words = PerModel(lambda loaded: ModelWords(loaded, load_lexicon()))
"""The one `ModelWords` of a loaded model, built on its first constrained request."""
