"""A song's form: the rhyme scheme and syllable pattern a user asks for, line by line.

The parsers give one clear line for bad input, so the CLI and the bot can show it as is. A
scheme repeats over stanzas, and rhymes are fresh in each stanza: in ABAB × 2, lines 3 and 1
rhyme, lines 7 and 5 rhyme, and line 5 need not rhyme with line 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from lyriccore.errors import ConfigError

MAX_SCHEME_LINES = 16
SYLLABLES_RANGE = (1, 30)
FREE = ("", "free", "none")


def parse_scheme(text: str | None) -> str | None:
    """'abab' → 'ABAB'; '', 'free' or None → None (no scheme)."""
    if text is None or text.strip().lower() in FREE:
        return None
    scheme = text.strip().upper()
    if not scheme.isascii() or not scheme.isalpha():
        raise ConfigError(f"a rhyme scheme is letters only, like AABB or ABCB, not {text!r}")
    if len(scheme) > MAX_SCHEME_LINES:
        raise ConfigError(
            f"a rhyme scheme has at most {MAX_SCHEME_LINES} lines; {text!r} has {len(scheme)}"
        )
    return scheme


def parse_syllables(text: str | int | None) -> tuple[int, ...] | None:
    """'8' → (8,); '8,6,8,6' → (8, 6, 8, 6); '' or None → None (any length)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    parts = [text] if isinstance(text, int) else text.replace(" ", "").split(",")
    try:
        pattern = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(
            f"syllables takes a number or a pattern like 8,6,8,6, not {text!r}"
        ) from None
    check_syllables(pattern)
    return pattern


def check_syllables(pattern: tuple[int, ...]) -> None:
    low, high = SYLLABLES_RANGE
    if not pattern or len(pattern) > MAX_SCHEME_LINES:
        raise ConfigError(f"a syllable pattern has 1 to {MAX_SCHEME_LINES} numbers")
    bad = [n for n in pattern if not low <= n <= high]
    if bad:
        raise ConfigError(f"syllables per line must be between {low} and {high}, not {bad[0]}")


def most_rhymes(scheme: str | None) -> int:
    """The most lines that must rhyme with one line of `scheme` (AAAA: 3, ABCB: 1, free: 0)."""
    return max((scheme.count(c) - 1 for c in scheme), default=0) if scheme else 0


@dataclass(frozen=True)
class LineGoal:
    """What one line must do. `partner` is the earlier line it must rhyme with; `rhymes_needed`
    is how many later lines will rhyme with this one (its ending must have that many rhymes)."""

    index: int
    syllables: int | None
    partner: int | None
    rhymes_needed: int
    stanza_start: bool


def line_goal(index: int, scheme: str | None, syllables: tuple[int, ...] | None) -> LineGoal:
    target = syllables[index % len(syllables)] if syllables else None
    if not scheme:
        return LineGoal(index, target, None, 0, False)
    size = len(scheme)
    stanza, at = divmod(index, size)
    letter = scheme[at]
    first = scheme.index(letter)
    partner = stanza * size + first if first < at else None
    later = scheme.count(letter) - 1 if partner is None else 0
    return LineGoal(index, target, partner, later, at == 0 and index > 0)
