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

from lyriccore.errors import CorpusError

SONG_SEPARATOR = "\n\n\n"
HELD_OUT_BUCKETS = 10  # one document in ten, chosen by its hash, is held out
SUPPORTED_SUFFIXES = (".txt", ".json", ".csv")
TEXT_FIELDS = ("lyrics", "text")

_SPACES = re.compile(r"[^\S\n]+")
_BLANK_RUN = re.compile(r"\n{4,}")
_SONG_BREAK = re.compile(r"\n[^\S\n]*\n[^\S\n]*\n\s*")
_CONTROL = {"Cc", "Cf", "Co", "Cs"}


@dataclass(frozen=True)
class Corpus:
    """Normalised training text and what it came from."""

    text: str
    documents: int
    sources: tuple[str, ...]
    lowercase: bool

    @property
    def fingerprint(self) -> str:
        """Identify the text *and* the settings that shaped it, so a cached model is reused
        only for the same data."""
        return corpus_fingerprint(self.text, lowercase=self.lowercase)


def corpus_fingerprint(text: str, *, lowercase: bool) -> str:
    settings = json.dumps({"lowercase": lowercase}, sort_keys=True)
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
    kept = [doc for doc in (normalise(d, lowercase=lowercase) for d in documents) if doc]
    return SONG_SEPARATOR.join(doc.rstrip("\n") for doc in kept) + ("\n" if kept else ""), len(kept)


def load_corpus(path: str | Path, *, column: str | None = None, lowercase: bool = False) -> Corpus:
    """Load a .txt, .json or .csv file, or a folder of them (recursively, in name order)."""
    root = Path(path)
    files = corpus_files(root)
    documents: list[str] = []
    for file in files:
        documents.extend(read_documents(file, column=column))
    text, count = join_documents(documents, lowercase=lowercase)
    if not text:
        raise CorpusError(f"corpus is empty: {root}")
    return Corpus(text, count, tuple(str(f) for f in files), lowercase)


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


def read_documents(file: Path, *, column: str | None = None) -> list[str]:
    """Read the raw documents of one file; the format follows its suffix."""
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
        return documents_from_json(raw, source=file.name)
    if suffix == ".csv":
        return documents_from_csv(raw, column=column, source=file.name)
    return split_songs(raw)


def split_songs(raw: str) -> list[str]:
    """A text file holds songs separated by two (or more) blank lines."""
    return _SONG_BREAK.split(raw.replace("\r\n", "\n").replace("\r", "\n"))


def documents_from_json(raw: str, *, source: str) -> list[str]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{source}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(data, list):
        raise CorpusError(f"{source}: expected a JSON list of strings or of objects")
    return [_json_item_text(item, index, source) for index, item in enumerate(data)]


def _json_item_text(item: object, index: int, source: str) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for field in TEXT_FIELDS:
            value = item.get(field)
            if isinstance(value, str):
                return value
    raise CorpusError(
        f"{source}: item {index} is neither a string nor an object with a "
        f"'lyrics' or 'text' string field"
    )


def documents_from_csv(raw: str, *, column: str | None, source: str) -> list[str]:
    reader = csv.DictReader(io.StringIO(raw))
    header = reader.fieldnames or []
    wanted = [column] if column else list(TEXT_FIELDS)
    name = next((c for c in wanted if c in header), None)
    if name is None:
        raise CorpusError(
            f"{source}: no column named {' or '.join(repr(c) for c in wanted)} "
            f"(columns: {', '.join(header) or 'none'})"
        )
    return [row[name] or "" for row in reader]


def document_sha256(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def split_held_out(documents: list[str]) -> tuple[list[str], list[str]]:
    """Split normalised documents into (training, held-out) by their hashes.

    The choice depends on each document alone, so it stays fixed as a corpus grows: models
    trained at different times are compared on the same held-out songs, and never trained on
    them. At least one document is held out.
    """
    hashes = [document_sha256(d) for d in documents]
    held = {i for i, h in enumerate(hashes) if int(h[:8], 16) % HELD_OUT_BUCKETS == 0}
    if not held and documents:
        held = {min(range(len(documents)), key=hashes.__getitem__)}
    train = [d for i, d in enumerate(documents) if i not in held]
    return train, [d for i, d in enumerate(documents) if i in held]
