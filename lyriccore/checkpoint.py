"""Self-contained checkpoints, written atomically and loaded without unpickling code.

A checkpoint holds everything needed to serve or resume a model: format version, model config,
vocabulary, the training text's word list, weights, training config, metrics, corpus
fingerprint and (for `last`) optimiser and RNG state. It is written to a temporary file,
fsynced and renamed into place, so a crash mid-write leaves the previous file intact; it is
read with `weights_only=True`, so a file carrying a pickle payload is refused instead of run.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from lyriccore.errors import CheckpointError
from lyriccore.model import LyricsLSTM, ModelConfig
from lyriccore.styles import check_style_strength
from lyriccore.tokenizer import Tokenizer, tokenizer_from_dict

FORMAT = "lyriccore-checkpoint"
FORMAT_VERSION = 1
BEST = "best.pt"
LAST = "last.pt"
REQUIRED = ("format", "format_version", "model_config", "tokenizer", "state_dict")


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Atomically write `payload` (plus the format header) to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": FORMAT, "format_version": FORMAT_VERSION, **payload}
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Load and validate a checkpoint's raw dict; every failure becomes a CheckpointError."""
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if zipfile.is_zipfile(path):
            raise CheckpointError(
                f"{path.name} was refused: it holds objects that would run code when loaded"
            ) from exc
        raise CheckpointError(f"{path.name} is corrupt or not a checkpoint") from exc
    except Exception as exc:
        # The file is untrusted input: torch's parsers fail on garbage with many exception
        # types (IndexError, KeyError, struct.error, ...); every one of them means "corrupt".
        raise CheckpointError(f"{path.name} is corrupt or truncated") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not a lyriccore checkpoint")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise CheckpointError(f"{path.name} lacks {', '.join(missing)}")
    if data["format_version"] > FORMAT_VERSION:
        raise CheckpointError(
            f"{path.name} has format {data['format_version']}; this lyriccore reads up to "
            f"{FORMAT_VERSION}: upgrade lyriccore"
        )
    return data


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to serve, with the identity that generation logs record."""

    model: LyricsLSTM
    tokenizer: Tokenizer
    config: ModelConfig
    version: str
    path: Path
    metrics: list[dict[str, Any]]
    train_config: dict[str, Any]
    corpus_fingerprint: str
    # The distinct words of the training text (strict word mode); None for checkpoints
    # written before they carried it.
    corpus_words: tuple[str, ...] | None = None

    @property
    def pushes_styles(self) -> bool:
        """Whether a style strength changes this model: it has style vectors, and learned a
        generic style to push them from (a model trained with no generic share did not)."""
        return self.model.style_embed is not None and bool(self.train_config.get("generic_share"))

    def with_style_strength(self, strength: float) -> LoadedModel:
        """This model served with its styles pushed `strength` times as far from the generic
        one (LyricsLSTM.with_style_strength); one that does not push styles, as trained."""
        check_style_strength(strength)
        if not self.pushes_styles or strength == 1.0:
            return self
        return replace(self, model=self.model.with_style_strength(strength))


def resolve_checkpoint(model_path: Path) -> Path:
    """A model folder serves its `best.pt` (or `last.pt` if no epoch validated yet)."""
    if model_path.is_dir():
        for name in (BEST, LAST):
            if (model_path / name).is_file():
                return model_path / name
        raise CheckpointError(f"no {BEST} or {LAST} in {model_path}: train a model first")
    return model_path


def load_model(model_path: Path, *, device: str | torch.device = "cpu") -> LoadedModel:
    path = resolve_checkpoint(Path(model_path))
    data = read_checkpoint(path)
    config = ModelConfig.from_dict(dict(data["model_config"]))
    tokenizer = tokenizer_from_dict(dict(data["tokenizer"]))
    if tokenizer.vocab_size != config.vocab_size:
        raise CheckpointError(f"{path.name}: vocabulary and model sizes disagree")
    if config.style_slots not in (0, len(tokenizer.styles) + 1):
        raise CheckpointError(f"{path.name}: the model's styles and the vocabulary's disagree")
    model = LyricsLSTM(config)
    try:
        model.load_state_dict(data["state_dict"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path.name}: weights do not match the model config") from exc
    model.to(device).eval()
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        config=config,
        version=model_version(path),
        path=path,
        metrics=list(data.get("metrics", [])),
        train_config=dict(data.get("train_config", {})),
        corpus_fingerprint=str(data.get("corpus_fingerprint", "")),
        corpus_words=_corpus_words(data),
    )


def _corpus_words(data: dict[str, Any]) -> tuple[str, ...] | None:
    words = data.get("corpus_words")
    if words is None:
        return None
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise CheckpointError("checkpoint word list is malformed")
    return tuple(words)


def model_version(path: Path) -> str:
    """Name a model by its folder and a content hash, so two trainings never share a name."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return f"{path.parent.name}:{digest}"
