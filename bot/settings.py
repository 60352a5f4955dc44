"""Typed settings, read once at start-up from the environment and `.env`.

A bad value, or a LYRICBOT_ variable that is no setting (a typo, an old name), stops start-up
with one line naming the variable; the token is kept out of every repr so it can never reach a
log by accident.
"""

from __future__ import annotations

import difflib
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.cron import cron_trigger
from bot.storage.urls import SqliteTarget, Target, parse_target
from lyriccore.sampling import WORD_MODES
from lyriccore.serving_step import SERVING_WEIGHTS
from lyriccore.styles import STYLE_STRENGTH, check_style_strength

T = TypeVar("T")
DEFAULT_EMOJIS = (
    "1\ufe0f\u20e3",
    "2\ufe0f\u20e3",
    "3\ufe0f\u20e3",
    "4\ufe0f\u20e3",
    "5\ufe0f\u20e3",
)


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    token: str = field(repr=False)
    guild_ids: tuple[int, ...] = ()
    db_path: Path = Path("data/lyricbot.db")
    database_url: str = field(default="", repr=False)  # may hold a password
    models_dir: Path = Path("models")
    default_model: str = "starter"
    admin_role_ids: frozenset[int] = frozenset()
    admin_user_ids: frozenset[int] = frozenset()
    channel_ids: frozenset[int] = frozenset()
    workers: int = 32
    queue_size: int = 64
    generation_timeout: float = 20.0
    cooldown_rate: int = 3
    cooldown_seconds: float = 20.0
    max_lines: int = 32
    words: str = "strict"
    rating_emojis: tuple[str, ...] = DEFAULT_EMOJIS
    generation_threads: int = 1
    serving_weights: str = "auto"
    style_strength: float = STYLE_STRENGTH
    starter_minutes: float = 4.0
    log_level: str = "INFO"
    log_file: Path | None = None
    nightly_cron: str = "0 3 * * *"
    timezone: str = "UTC"
    corpus_max_bytes: int = 100_000
    corpus_submit_role_ids: frozenset[int] = frozenset()
    train_threads: int = 1  # per rank
    train_nproc: int = 1  # ranks: above 1, training runs under torchrun (DDP)
    train_launcher: str | None = None  # a cluster's torchrun command line (deploy/README.md)
    retrain_minutes: float = 10.0
    health_port: int = 8377
    serving_poll_seconds: float = 5.0
    shard_ids: tuple[int, ...] = ()
    shard_count: int = 0

    @property
    def sharded(self) -> bool:
        """Run as discord.py's AutoShardedBot: some shards of a total (or every shard of
        Discord's recommended count, with ``shard_count`` 0 and no ids)."""
        return bool(self.shard_ids or self.shard_count)

    @property
    def database(self) -> Target:
        """``LYRICBOT_DATABASE_URL`` when set (PostgreSQL, or SQLite by URL), else the
        SQLite file at ``LYRICBOT_DB``."""
        return parse_target(self.database_url) if self.database_url else SqliteTarget(self.db_path)


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.replace(" ", "").split(",") if part)


def _positive(kind: Callable[[str], T]) -> Callable[[str], T]:
    def parse(text: str) -> T:
        value = kind(text)
        if value <= 0:  # type: ignore[operator]
            raise ValueError("must be positive")
        return value

    return parse


def _word_mode(text: str) -> str:
    mode = text.lower()
    if mode not in WORD_MODES:
        raise ValueError(f"must be one of {', '.join(WORD_MODES)}")
    return mode


def _serving_weights(text: str) -> str:
    weights = text.lower()
    if weights not in SERVING_WEIGHTS:
        raise ValueError(f"must be one of {', '.join(SERVING_WEIGHTS)}")
    return weights


def _style_strength(text: str) -> float:
    strength = float(text)
    check_style_strength(strength)
    return strength


def _emojis(text: str) -> tuple[str, ...]:
    emojis = tuple(e for e in text.split(",") if e.strip())
    if len(emojis) != 5:
        raise ValueError("needs exactly 5 comma-separated emojis, for ratings 1 to 5")
    return tuple(e.strip() for e in emojis)


def _timezone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {text!r}") from None
    return text


def _cron(text: str) -> str:
    cron_trigger(text, "UTC")  # raises ValueError naming what is wrong
    return text


def _launcher(text: str) -> str:
    """Split as the training service will split it, so an unclosed quote stops start-up
    rather than the first retrain."""
    shlex.split(text)  # raises ValueError naming what is wrong
    return text


def _database_url(text: str) -> str:
    parse_target(text)  # raises ValueError naming the scheme it cannot use
    return text


def _level(text: str) -> str:
    level = text.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


# variable, field, parser
FIELDS: list[tuple[str, str, Callable[[str], Any]]] = [
    ("DISCORD_GUILD_IDS", "guild_ids", _ids),
    ("LYRICBOT_DB", "db_path", Path),
    ("LYRICBOT_DATABASE_URL", "database_url", _database_url),
    ("LYRICBOT_MODELS", "models_dir", Path),
    ("LYRICBOT_DEFAULT_MODEL", "default_model", str),
    ("LYRICBOT_ADMIN_ROLE_IDS", "admin_role_ids", lambda t: frozenset(_ids(t))),
    ("LYRICBOT_ADMIN_USER_IDS", "admin_user_ids", lambda t: frozenset(_ids(t))),
    ("LYRICBOT_CHANNEL_IDS", "channel_ids", lambda t: frozenset(_ids(t))),
    ("LYRICBOT_WORKERS", "workers", _positive(int)),
    ("LYRICBOT_QUEUE_SIZE", "queue_size", _positive(int)),
    ("LYRICBOT_GENERATION_TIMEOUT", "generation_timeout", _positive(float)),
    ("LYRICBOT_COOLDOWN_RATE", "cooldown_rate", int),
    ("LYRICBOT_COOLDOWN_SECONDS", "cooldown_seconds", float),
    ("LYRICBOT_MAX_LINES", "max_lines", _positive(int)),
    ("LYRICBOT_WORDS", "words", _word_mode),
    ("LYRICBOT_RATING_EMOJIS", "rating_emojis", _emojis),
    ("LYRICBOT_GENERATION_THREADS", "generation_threads", _positive(int)),
    ("LYRICBOT_SERVING_WEIGHTS", "serving_weights", _serving_weights),
    ("LYRICBOT_STYLE_STRENGTH", "style_strength", _style_strength),
    ("LYRICBOT_STARTER_MINUTES", "starter_minutes", _positive(float)),
    ("LYRICBOT_LOG_LEVEL", "log_level", _level),
    ("LYRICBOT_LOG_FILE", "log_file", Path),
    ("LYRICBOT_NIGHTLY_CRON", "nightly_cron", _cron),
    ("LYRICBOT_TIMEZONE", "timezone", _timezone),
    ("LYRICBOT_CORPUS_MAX_BYTES", "corpus_max_bytes", _positive(int)),
    ("LYRICBOT_CORPUS_SUBMIT_ROLE_IDS", "corpus_submit_role_ids", lambda t: frozenset(_ids(t))),
    ("LYRICBOT_TRAIN_THREADS", "train_threads", _positive(int)),
    ("LYRICBOT_TRAIN_NPROC", "train_nproc", _positive(int)),
    ("LYRICBOT_TRAIN_LAUNCHER", "train_launcher", _launcher),
    ("LYRICBOT_RETRAIN_MINUTES", "retrain_minutes", _positive(float)),
    ("LYRICBOT_HEALTH_PORT", "health_port", int),
    ("LYRICBOT_SERVING_POLL_SECONDS", "serving_poll_seconds", _positive(float)),
    ("LYRICBOT_SHARDS", "shard_ids", _ids),
    ("LYRICBOT_SHARD_COUNT", "shard_count", _positive(int)),
]


# Values never echoed in an error: a database URL may carry its password.
SECRET_VARIABLES = frozenset({"LYRICBOT_DATABASE_URL"})

# Settings that were renamed: an old name still in someone's .env is pointed to the new one.
RENAMED = {"LYRICBOT_TORCH_THREADS": "LYRICBOT_GENERATION_THREADS"}


def read_environment(env_file: Path | None = Path(".env")) -> dict[str, str]:
    """The process environment wins over `.env`, as operators expect."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return values


def load_settings(env: Mapping[str, str], *, require_token: bool = True) -> Settings:
    """Build Settings from variables; raise SettingsError naming the first bad one."""
    token = env.get("DISCORD_TOKEN", "").strip()
    if require_token and not token:
        raise SettingsError(
            "DISCORD_TOKEN is not set: put your bot token in .env (see .env.example), "
            "or try `lyricbot console`, which needs no token"
        )
    _check_names(env)
    given: dict[str, Any] = {}
    for variable, name, parse in FIELDS:
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        try:
            given[name] = parse(raw)
        except ValueError as exc:
            shown = variable if variable in SECRET_VARIABLES else f"{variable}={raw!r}"
            raise SettingsError(f"{shown} is invalid: {exc}") from None
    return check_shards(Settings(token=token, **given))


def check_shards(settings: Settings) -> Settings:
    """Shard ids need the total they are of, and each must be below it."""
    ids, count = settings.shard_ids, settings.shard_count
    if ids and not count:
        raise SettingsError("LYRICBOT_SHARDS (--shards) needs LYRICBOT_SHARD_COUNT (--shard-count)")
    if any(not 0 <= i < count for i in ids) or len(set(ids)) != len(ids):
        raise SettingsError(f"shards {ids} must be distinct and each below the shard count {count}")
    return settings


def _check_names(env: Mapping[str, str]) -> None:
    """A misspelt or renamed LYRICBOT_ variable would otherwise be ignored without a word."""
    known = [variable for variable, _, _ in FIELDS]
    unknown = sorted(v for v in env if v.startswith("LYRICBOT_") and v not in known)
    if not unknown:
        return
    variable, close = unknown[0], difflib.get_close_matches(unknown[0], known, 1)
    hint = RENAMED.get(variable) or (close[0] if close else None)
    also = f"; did you mean {hint}?" if hint else " (see .env.example)"
    raise SettingsError(f"{variable} is not a lyricbot setting{also}")
