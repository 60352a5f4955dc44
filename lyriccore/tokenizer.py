"""Character- and word-level vocabularies.

Both keep the newline as a token of its own, because line and stanza breaks are the shape of
lyrics. Both serialise to plain JSON-able dicts stored inside the checkpoint, so a model never
depends on the text it was trained on to be loaded.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from lyriccore.errors import CheckpointError, ConfigError, GenerationError
from lyriccore.styles import GENERIC, reserved_tokens, unknown_style_message

if TYPE_CHECKING:
    from lyriccore.corpus import Corpus

Level = Literal["char", "word"]
GENERIC_TOKEN = 1  # the generic style token's id, when a vocabulary has styles; theirs follow
UNK = "<unk>"

# A word is letters/digits with inner apostrophes or hyphens; everything else that is not a
# space (punctuation, symbols, the newline) is a token of its own.
_WORD_TOKEN = re.compile(r"\n|[^\W_]+(?:['\-][^\W_]+)*'?|[^\s]", re.UNICODE)
_NO_SPACE_BEFORE = set(",.!?;:)]}%\n") | {"'s", "n't", "'"}
_NO_SPACE_AFTER = set("([{\n")


@dataclass
class Encoded:
    """Token ids plus the pieces of input the vocabulary did not know."""

    ids: list[int]
    unknown: list[str] = field(default_factory=list)
    # each id's style slot, from encode_corpus with a vocabulary that has styles
    slots: list[int] = field(default_factory=list)


class Tokenizer:
    """A vocabulary with id 0 reserved for unknown tokens and, when it knows `styles`, ids
    1 … len(styles) + 1 for the generic and the named style tokens (styles.py)."""

    level: Level

    def __init__(
        self, tokens: list[str], *, lowercase: bool = False, styles: Sequence[str] = ()
    ) -> None:
        head = [UNK, *reserved_tokens(styles)] if styles else [UNK]
        kept = set(head)
        self.tokens = head + [t for t in tokens if t not in kept]
        self.styles = tuple(sorted(set(styles)))
        self.reserved = len(head)  # ids below this are never written
        self.lowercase = lowercase
        self.index = {tok: i for i, tok in enumerate(self.tokens)}

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    @property
    def unk_id(self) -> int:
        return 0

    def split(self, text: str) -> list[str]:
        raise NotImplementedError

    def join(self, pieces: list[str]) -> str:
        raise NotImplementedError

    def glue(self, previous: str, piece: str) -> str:
        """The text that appending `piece` after `previous` adds, for incremental decoding."""
        raise NotImplementedError

    def encode(self, text: str) -> list[int]:
        return self.encode_reporting(text).ids

    def encode_reporting(self, text: str, *, drop_unknown: bool = False) -> Encoded:
        """Encode, collecting unknown pieces; dropping them suits seeds, keeping <unk> suits
        evaluation where every position must be scored."""
        if self.lowercase:
            text = text.lower()
        result = Encoded([])
        for piece in self.split(text):
            token_id = self.index.get(piece)
            if token_id is None:
                result.unknown.append(piece)
                if drop_unknown:
                    continue
                token_id = self.unk_id
            result.ids.append(token_id)
        return result

    def encode_corpus(self, corpus: Corpus) -> Encoded:
        """The stream a model trains on and is scored on: each song after its style token when
        the vocabulary has them (a style it does not know reads as the generic one)."""
        if not self.styles:
            return self.encode_reporting(corpus.text)
        stream = Encoded([])
        for style, text in corpus.songs():
            part = self.encode_reporting(text)
            known = style if style in self.styles else GENERIC
            ids = self.style_prefix(known) + part.ids
            stream.ids.extend(ids)
            stream.slots.extend([self.style_slot(known)] * len(ids))
            stream.unknown.extend(part.unknown)
        return stream

    def decode(self, ids: list[int]) -> str:
        return self.join([self.tokens[i] for i in ids if i >= self.reserved])

    def id_of(self, token: str) -> int | None:
        return self.index.get(token)

    def style_prefix(self, style: str | None) -> list[int]:
        """The ids a song of `style` starts with: none for a model without styles (asking one
        of it for a style is an error), the generic token when no style is asked."""
        if not self.styles:
            if style:
                raise GenerationError(unknown_style_message(style, ()))
            return []
        return [GENERIC_TOKEN + self.style_slot(style)]

    def style_slot(self, style: str | None) -> int:
        """A style's row among a model's style vectors: 0 for the generic style, then the
        named ones in order (the token ids after <unk> follow the same order)."""
        if not style:
            return 0
        if style not in self.styles:
            raise GenerationError(unknown_style_message(style, self.styles))
        return self.styles.index(style) + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "tokens": list(self.tokens),
            "lowercase": self.lowercase,
            "styles": list(self.styles),
        }


class CharTokenizer(Tokenizer):
    level: Level = "char"

    @classmethod
    def build(
        cls, text: str, *, lowercase: bool = False, styles: Sequence[str] = ()
    ) -> CharTokenizer:
        chars = sorted(set(text.lower() if lowercase else text))
        return cls(chars, lowercase=lowercase, styles=styles)

    def split(self, text: str) -> list[str]:
        return list(text)

    def join(self, pieces: list[str]) -> str:
        return "".join(pieces)

    def glue(self, previous: str, piece: str) -> str:
        return piece


class WordTokenizer(Tokenizer):
    level: Level = "word"

    @classmethod
    def build(
        cls,
        text: str,
        *,
        lowercase: bool = False,
        min_freq: int = 2,
        max_vocab: int = 20000,
        styles: Sequence[str] = (),
    ) -> WordTokenizer:
        """Keep words seen at least min_freq times, most frequent first, up to max_vocab
        entries in all (the reserved ones included)."""
        if min_freq < 1 or max_vocab < 2:
            raise ConfigError("min_freq must be >= 1 and max_vocab >= 2")
        counts = Counter(split_words(text.lower() if lowercase else text))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        room = max_vocab - 1 - (len(reserved_tokens(styles)) if styles else 0)
        kept = [tok for tok, n in ranked if n >= min_freq or tok == "\n"][: max(1, room)]
        return cls(kept, lowercase=lowercase, styles=styles)

    def split(self, text: str) -> list[str]:
        return split_words(text)

    def join(self, pieces: list[str]) -> str:
        return join_words(pieces)

    def glue(self, previous: str, piece: str) -> str:
        return word_spacing(previous, piece) + piece


def split_words(text: str) -> list[str]:
    return _WORD_TOKEN.findall(text)


def word_spacing(previous: str, piece: str) -> str:
    """No space before closing punctuation or a newline, none after an opening bracket or a
    newline; one space otherwise."""
    return "" if piece in _NO_SPACE_BEFORE or previous in _NO_SPACE_AFTER else " "


def join_words(pieces: list[str]) -> str:
    """Undo split_words as far as spacing allows."""
    out: list[str] = []
    previous = "\n"
    for piece in pieces:
        out.append(word_spacing(previous, piece) + piece)
        previous = piece
    return "".join(out)


def build_tokenizer(
    level: Level,
    text: str,
    *,
    lowercase: bool = False,
    min_freq: int = 2,
    max_vocab: int = 20000,
    styles: Sequence[str] = (),
) -> Tokenizer:
    if level == "char":
        return CharTokenizer.build(text, lowercase=lowercase, styles=styles)
    if level == "word":
        return WordTokenizer.build(
            text, lowercase=lowercase, min_freq=min_freq, max_vocab=max_vocab, styles=styles
        )
    raise ConfigError(f"level must be 'char' or 'word', not {level!r}")


def tokenizer_from_dict(data: dict[str, Any]) -> Tokenizer:
    try:
        kind = {"char": CharTokenizer, "word": WordTokenizer}[data["level"]]
        tokens = data["tokens"]
        if not all(isinstance(t, str) for t in tokens):
            raise TypeError("tokens must be strings")
        styles = data.get("styles", [])  # checkpoints before style tokens have none
        if not all(isinstance(s, str) and s != GENERIC for s in styles):
            raise TypeError("styles must be non-empty strings")
        return kind(list(tokens), lowercase=bool(data.get("lowercase", False)), styles=styles)
    except (KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint vocabulary is malformed ({exc})") from exc
