"""Shared fixtures: real corpora and real (tiny) trained models, built once per session."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from pgserver import PostgresMissing, PostgresServer, running_server

from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus, build_corpus, load_corpus
from lyriccore.starter import starter_corpus_path, starter_documents
from lyriccore.trainer import train

# One torch thread: a tiny model gains nothing from two, and two threads stall for a scheduler
# slice at every step whenever another process holds a core (a 2 s fit took 10 min that way).
TINY = {
    "embed_dim": 16, "hidden_size": 48, "seq_len": 32, "batch_size": 8, "epochs": 2, "threads": 1,
}  # fmt: skip


@pytest.fixture(scope="session")
def tiny() -> dict[str, int]:
    """Hyper-parameters of a model that trains in about a second."""
    return dict(TINY)


@pytest.fixture(scope="session")
def starter_corpus() -> Corpus:
    return load_corpus(starter_corpus_path())


@pytest.fixture(scope="session")
def small_corpus(starter_corpus: Corpus) -> Corpus:
    """About 12 KB of the starter corpus: enough for a few real batches in a second."""
    text = starter_corpus.text[:12_000]
    return Corpus(text, 1, ("starter[:12000]",), False)


@pytest.fixture(scope="session")
def char_model(tmp_path_factory: pytest.TempPathFactory, small_corpus: Corpus) -> Path:
    out = tmp_path_factory.mktemp("char-model")
    train(small_corpus, TrainConfig(level="char", **TINY), out, progress=False)
    return out


STYLED = ("blues", "lullaby", "punk")  # the styled tiny model's styles


@pytest.fixture(scope="session")
def styled_corpus() -> Corpus:
    songs = [d for d in starter_documents() if d.style in STYLED]
    return build_corpus(songs, ("starter: blues, lullaby, punk",))


@pytest.fixture(scope="session")
def styled_model_path(tmp_path_factory: pytest.TempPathFactory, styled_corpus: Corpus) -> Path:
    """A tiny char model trained on three of the starter's styles."""
    out = tmp_path_factory.mktemp("styled-model")
    train(styled_corpus, TrainConfig(level="char", **{**TINY, "epochs": 3}), out, progress=False)
    return out


@pytest.fixture(scope="session")
def word_model(tmp_path_factory: pytest.TempPathFactory, starter_corpus: Corpus) -> Path:
    out = tmp_path_factory.mktemp("word-model")
    config = TrainConfig(level="word", lowercase=True, min_freq=2, **TINY)
    train(starter_corpus, config, out, progress=False)
    return out


# -- a real PostgreSQL server, one per session, a fresh database per test -----------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Fails (never skips) every test that needs it when PostgreSQL is not installed."""
    try:
        with running_server() as server:
            yield server
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A new, empty database on the session's server, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres_server.url())
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        try:
            yield postgres_server.url(name)
        finally:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()
