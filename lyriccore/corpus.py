"""Corpus loading and normalisation.

Lyrics are shaped by their line and stanza breaks, so normalisation keeps them: one blank line
between stanzas, two between songs, never more. Everything else that varies between sources
(line endings, unicode forms, stray whitespace, control characters) is made uniform so the same
song always yields the same text and the same fingerprint.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from lyriccore.errors import ConfigError, CorpusError
from lyriccore.styles import GENERIC, STYLE_FIELDS, normalise_style

SONG_SEPARATOR = "\n\n\n"
HELD_OUT_BUCKETS = 10  # one document in ten, chosen by its hash, is held out
SUPPORTED_SUFFIXES = (".txt", ".json", ".csv")
TEXT_FIELDS = ("lyrics", "text")

_SPACES = re.compile(r"[^\S\n]+")
_BLANK_RUN = re.compile(r"\n{4,}")
_SONG_BREAK = re.compile(r"\n[^\S\n]*\n[^\S\n]*\n\s*")
_CONTROL = {"Cc", "Cf", "Co", "Cs"}


@dataclass(frozen=True)
class Document:
    """One song as read from a source, and its style when the source names one."""

    text: str
    style: str | None = None


D = TypeVar("D", str, Document)


@dataclass(frozen=True)
class Corpus:
    """Normalised training text and what it came from.

    `song_styles` holds, for a corpus that names styles, where each song starts in `text` and
    its style (GENERIC for a song that names none); it is empty for a corpus without styles,
    which trains exactly as before style tokens existed.
    """

    text: str
    documents: int
    sources: tuple[str, ...]
    lowercase: bool
    song_styles: tuple[tuple[int, str], ...] = ()

    @property
    def fingerprint(self) -> str:
        """Identify the text *and* the settings that shaped it, so a cached model is reused
        only for the same data."""
        return corpus_fingerprint(self.text, lowercase=self.lowercase, styles=self.song_styles)

    @property
    def styles(self) -> tuple[str, ...]:
        """The named styles of the corpus, sorted."""
        return tuple(sorted({style for _, style in self.song_styles if style != GENERIC}))

    def songs(self) -> list[tuple[str, str]]:
        """(style, text) per song; one generic song holding all the text when there are no
        styles."""
        spans = self.song_styles or ((0, GENERIC),)
        ends = [start for start, _ in spans[1:]] + [len(self.text)]
        return [
            (style, self.text[start:end]) for (start, style), end in zip(spans, ends, strict=True)
        ]


def corpus_fingerprint(
    text: str, *, lowercase: bool, styles: tuple[tuple[int, str], ...] = ()
) -> str:
    shaping: dict[str, object] = {"lowercase": lowercase}
    if styles:
        shaping["styles"] = [list(span) for span in styles]
    settings = json.dumps(shaping, sort_keys=True)
    return hashlib.sha256(f"{settings}\n{text}".encode()).hexdigest()


def normalise(text: str, *, lowercase: bool = False) -> str:
    """Return one document in canonical form, or "" when nothing printable is left."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(
        ch if ch == "\n" or unicodedata.category(ch) not in _CONTROL else " " for ch in text
    )
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = _BLANK_RUN.sub("\n\n\n", "\n".join(lines)).strip("\n")
    if lowercase:
        text = text.lower()
    return text + "\n" if text else ""


def join_documents(documents: Iterable[str], *, lowercase: bool = False) -> tuple[str, int]:
    """Normalise documents and join them as songs; returns the text and how many were kept."""
    corpus = build_corpus((Document(d) for d in documents), (), lowercase=lowercase)
    return corpus.text, corpus.documents


def build_corpus(
    documents: Iterable[Document], sources: tuple[str, ...], *, lowercase: bool = False
) -> Corpus:
    """Normalise and join songs, noting where each starts when any of them names a style."""
    kept = [(normalise(d.text, lowercase=lowercase).rstrip("\n"), d.style) for d in documents]
    kept = [(text, style) for text, style in kept if text]
    text = SONG_SEPARATOR.join(t for t, _ in kept) + ("\n" if kept else "")
    song_styles: list[tuple[int, str]] = []
    if any(style for _, style in kept):
        start = 0
        for song, style in kept:
            song_styles.append((start, style or GENERIC))
            start += len(song) + len(SONG_SEPARATOR)
    return Corpus(text, len(kept), sources, lowercase, tuple(song_styles))


def load_corpus(path: str | Path, *, column: str | None = None, lowercase: bool = False) -> Corpus:
    """Load a .txt, .json or .csv file, or a folder of them (recursively, in name order).

    A song's style is its item's `style`/`genre` field or column, else the name of the
    sub-folder of `path` that holds its file; songs directly in `path` name none.
    """
    root = Path(path)
    files = corpus_files(root)
    documents: list[Document] = []
    for file in files:
        documents.extend(read_documents(file, column=column, style=folder_style(root, file)))
    corpus = build_corpus(documents, tuple(str(f) for f in files), lowercase=lowercase)
    if not corpus.text:
        raise CorpusError(f"corpus is empty: {root}")
    return corpus


def folder_style(root: Path, file: Path) -> str | None:
    """The style a folder layout gives a file: the first folder below the root."""
    if root.is_file() or file.parent == root:
        return None
    folder = file.relative_to(root).parts[0]
    try:
        return normalise_style(folder)
    except ConfigError as exc:
        raise CorpusError(f"folder {folder!r} of {root}: {exc}") from None


def corpus_files(root: Path) -> list[Path]:
    """The corpus files a path names: itself, or the supported files below it, sorted."""
    if not root.exists():
        raise CorpusError(f"corpus not found: {root}")
    if root.is_file():
        return [root]
    files = sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
    )
    if not files:
        raise CorpusError(f"no .txt, .json or .csv files in {root}")
    return files


def read_documents(
    file: Path, *, column: str | None = None, style: str | None = None
) -> list[Document]:
    """Read the raw documents of one file; the format follows its suffix. `style` is the
    style of songs whose item names none."""
    suffix = file.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(f"unsupported corpus file {file.name}: use .txt, .json or .csv")
    try:
        raw = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{file} is not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise CorpusError(f"cannot read {file}: {exc.strerror}") from exc
    if suffix == ".json":
        documents = documents_from_json(raw, source=file.name)
    elif suffix == ".csv":
        documents = documents_from_csv(raw, column=column, source=file.name)
    else:
        documents = [Document(song) for song in split_songs(raw)]
    return [d if d.style else Document(d.text, style) for d in documents]


def split_songs(raw: str) -> list[str]:
    """A text file holds songs separated by two (or more) blank lines."""
    return _SONG_BREAK.split(raw.replace("\r\n", "\n").replace("\r", "\n"))


def documents_from_json(raw: str, *, source: str) -> list[Document]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{source}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(data, list):
        raise CorpusError(f"{source}: expected a JSON list of strings or of objects")
    return [_json_item(item, index, source) for index, item in enumerate(data)]


def _json_item(item: object, index: int, source: str) -> Document:
    if isinstance(item, str):
        return Document(item)
    if isinstance(item, dict):
        for field in TEXT_FIELDS:
            value = item.get(field)
            if isinstance(value, str):
                return Document(value, _item_style(item, f"{source}: item {index}"))
    raise CorpusError(
        f"{source}: item {index} is neither a string nor an object with a "
        f"'lyrics' or 'text' string field"
    )


def _item_style(item: dict[str, object], where: str) -> str | None:
    for field in STYLE_FIELDS:
        value = item.get(field)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise CorpusError(f"{where}: its {field!r} must be a string")
        try:
            return normalise_style(value)
        except ConfigError as exc:
            raise CorpusError(f"{where}: {exc}") from None
    return None


def documents_from_csv(raw: str, *, column: str | None, source: str) -> list[Document]:
    reader = csv.DictReader(io.StringIO(raw))
    header = reader.fieldnames or []
    wanted = [column] if column else list(TEXT_FIELDS)
    name = next((c for c in wanted if c in header), None)
    if name is None:
        raise CorpusError(
            f"{source}: no column named {' or '.join(repr(c) for c in wanted)} "
            f"(columns: {', '.join(header) or 'none'})"
        )
    return [
        Document(row[name] or "", _item_style(dict(row), f"{source}: row {number}"))
        for number, row in enumerate(reader, start=2)
    ]


def save_documents(path: Path, documents: Iterable[Document]) -> None:
    """Write songs as a JSON corpus that `load_corpus` reads back with their styles."""
    items = [{"text": d.text, **({"style": d.style} if d.style else {})} for d in documents]
    path.write_text(json.dumps(items, ensure_ascii=False, indent=0), encoding="utf-8")


def document_sha256(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def split_held_out(documents: list[D]) -> tuple[list[D], list[D]]:
    """Split normalised documents into (training, held-out) by their hashes.

    The choice depends on each document alone, so it stays fixed as a corpus grows: models
    trained at different times are compared on the same held-out songs, and never trained on
    them. At least one document is held out.
    """
    hashes = [document_sha256(d if isinstance(d, str) else d.text) for d in documents]
    held = {i for i, h in enumerate(hashes) if int(h[:8], 16) % HELD_OUT_BUCKETS == 0}
    if not held and documents:
        held = {min(range(len(documents)), key=hashes.__getitem__)}
    train = [d for i, d in enumerate(documents) if i not in held]
    return train, [d for i, d in enumerate(documents) if i in held]
