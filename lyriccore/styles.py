"""Styles: what tells the model which kind of song it writes.

Each song of a corpus that knows its styles is prefixed in the training stream by one reserved
token, its style's or the generic one, and every step of the song reads its style's learned
vector besides (model.py); generation starts from the same token and reads the same vector at
every step, so a blues seed stays blues instead of drifting into the corpus' blended voice. The
tokens sit right after <unk> in the vocabulary, and are never produced by splitting text (a
char split yields single characters, a word split never keeps '<' with a word), so user text
cannot reach them and sampling bans them as it bans <unk>.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lyriccore.errors import ConfigError

GENERIC = ""  # the style of a song that names none, and of a request that asks for none
STYLE_FIELDS = ("style", "genre")  # JSON fields and CSV columns that carry a song's style
MAX_STYLE_CHARS = 40
# How far the served styles are pushed from the generic one (model.with_style_strength). On
# the starter model, at 1.5 against 1 (as trained), the bench's classifier named the asked
# style of 85 % of 8-line answers against 55 %; held-out songs of a style scored 1.342
# nats/char in it against 1.319, still below the generic style's 1.349; at 2, 1.397: a
# caricature of the style (bench/README.md, "Style tokens").
STYLE_STRENGTH = 1.5
STYLE_STRENGTH_RANGE = (0.0, 3.0)

_NOT_NAME = re.compile(r"[^a-z0-9]+")


def normalise_style(name: str) -> str:
    """'Sea Shanty', 'sea-shanty' and 'sea_shanty' are one style: lower case, one '_' between
    words. An empty result is refused: it would silently mean "no style"."""
    cleaned = _NOT_NAME.sub("_", name.strip().lower()).strip("_")
    if not cleaned:
        raise ConfigError(f"{name!r} is not a style name: use letters and digits")
    if len(cleaned) > MAX_STYLE_CHARS:
        raise ConfigError(f"a style name has at most {MAX_STYLE_CHARS} characters")
    return cleaned


def check_style_strength(strength: float) -> None:
    low, high = STYLE_STRENGTH_RANGE
    if not low <= strength <= high:
        raise ConfigError(f"style strength must be between {low:g} and {high:g}, not {strength:g}")


def style_token(name: str) -> str:
    return f"<style:{name}>" if name else "<style>"


def reserved_tokens(styles: Iterable[str]) -> list[str]:
    """The style block of a vocabulary: the generic token first, then the styles by name."""
    return [style_token(GENERIC), *(style_token(s) for s in sorted(set(styles)))]


def unknown_style_message(asked: str, known: Iterable[str]) -> str:
    names = ", ".join(sorted(known))
    if not names:
        return f"this model was trained without styles, so it cannot write {asked!r}"
    return f"unknown style {asked!r}; this model knows: {names}"
