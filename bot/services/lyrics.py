"""Writing lyrics for a request: validate, generate through the engine, log every outcome.

Discord declares option ranges too, but those are advice to the client: a forged or console
request is validated here, always.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.services.engine import EngineService
from bot.services.errors import GenerationTimedOut, InvalidRequest, UserFacingError
from bot.services.queue import PositionCallback, Ticket
from bot.services.streaming import LiveText
from bot.settings import Settings
from bot.storage import Database, GenerationRow, Kind, NewGeneration, Source, Status
from lyriccore.errors import ConfigError, LyricCoreError
from lyriccore.form import parse_scheme, parse_syllables
from lyriccore.generator import GenerationResult
from lyriccore.sampling import WORD_MODES, SamplingParams
from lyriccore.song import DEFAULT_FORM as DEFAULT_FORM  # for the front ends
from lyriccore.song import Song, parse_form
from lyriccore.styles import normalise_style, unknown_style_message

log = logging.getLogger(__name__)

SEED_MAX = 200
DEFAULT_LINES = 8
DEFAULT_TEMPERATURE = 0.8
RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0.1, 2.0),
    "top_p": (0.05, 1.0),
    "top_k": (0, 200),
    "repetition_penalty": (1.0, 2.0),
    "anneal": (0.1, 2.0),
    "rng_seed": (0, 2**31 - 1),
    "best_of": (1, 16),
}  # integer bounds mean a whole-number option
# Measured (README, "Song form"): with a scheme or syllables, best of 8 lines is the only K
# whose kept lines read as fluently as free ones on both benchmark models; strict words cost
# nothing measurable and keep every word real: on unless asked otherwise (settings.words).
SHAPED_BEST_OF = 8
FOLLOW_UP_WORDS = {"take": "another take of", "continue": "continues", "edit": "reworks"}


@dataclass(frozen=True)
class LyricsRequest:
    seed: str
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    lines: int | None = None
    repetition_penalty: float | None = None
    anneal: float | None = None
    model: str | None = None
    rng_seed: int | None = None
    scheme: str | None = None
    syllables: str | None = None
    best_of: int | None = None
    words: str | None = None
    style: str | None = None
    form: str | None = None  # a song's sections (kind "song"; None: DEFAULT_FORM)
    parent_id: int | None = None  # the answer whose button asked for this one
    kind: Kind = "lyrics"
    preset: str | None = None  # set by PresetService.choose, with the settings it stands for
    source: Source = "discord"
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    interaction_id: int | None = None


@dataclass(frozen=True)
class Admission:
    """A validated request holding its place in the queue."""

    request: LyricsRequest
    params: SamplingParams
    ticket: Ticket


@dataclass(frozen=True)
class LyricsAnswer:
    generation_id: int
    request: LyricsRequest
    params: SamplingParams
    result: GenerationResult
    latency_ms: float

    @property
    def text(self) -> str:
        return self.result.texts[0]

    def summary(self) -> list[str]:
        """The settings that reproduce this answer, non-default knobs only."""
        return settings_summary(
            self.request, self.params, self.result.model_version, self.generation_id
        )


@dataclass(frozen=True)
class SongAnswer:
    generation_id: int
    request: LyricsRequest
    params: SamplingParams
    song: Song
    form: tuple[str, ...]

    def summary(self) -> list[str]:
        parts = settings_summary(self.request, self.params, self.song.model_version,
                                 self.generation_id, lines=False)  # fmt: skip
        return [f"form {'-'.join(self.form)}", *parts]


def settings_summary(
    request: LyricsRequest,
    params: SamplingParams,
    model_version: str,
    generation_id: int,
    *,
    lines: bool = True,
) -> list[str]:
    """The settings that reproduce an answer, non-default knobs only (the footer)."""
    p = params
    anneal = f"→{p.anneal_to:g}" if p.anneal_to is not None else ""
    preset = [f"preset {request.preset}"] if request.preset else []
    style = [f"style {p.style}"] if p.style else []
    parts = [*style, *preset, f"temperature {p.temperature:g}{anneal}"]
    if p.top_p < 1.0:
        parts.append(f"top_p {p.top_p:g}")
    if p.top_k:
        parts.append(f"top_k {p.top_k}")
    if p.repetition_penalty != 1.0:
        parts.append(f"repetition_penalty {p.repetition_penalty:g}")
    if p.scheme:
        parts.append(f"scheme {p.scheme}")
    if p.syllables:
        parts.append(f"syllables {','.join(map(str, p.syllables))}")
    if p.best_of > 1:
        parts.append(f"best_of {p.best_of}")
    parts.append(f"words {p.words}")
    if request.parent_id is not None:
        parts.append(f"{FOLLOW_UP_WORDS[request.kind]} #{request.parent_id}")
    if lines:
        parts.append(f"lines {p.lines}")
    return [*parts, f"rng_seed {p.rng_seed}", f"model {model_version}", f"#{generation_id}"]


def _check(name: str, value: float | None) -> None:
    if value is None:
        return
    low, high = RANGES[name]
    whole = isinstance(low, int) and isinstance(high, int)
    kinds = int if whole else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or value != value:  # NaN
        what = "a whole number" if whole else "a number"
        raise InvalidRequest(f"`{name}` must be {what} between {low:g} and {high:g}.")
    if not low <= value <= high:
        raise InvalidRequest(f"`{name}` must be between {low:g} and {high:g} (got {value:g}).")


def validate(request: LyricsRequest, max_lines: int, words: str = "strict") -> SamplingParams:
    """Turn a request into sampling parameters, or say in one sentence what is wrong."""
    if not isinstance(request.seed, str):
        raise InvalidRequest("The seed must be text: give me a few words to start from.")
    seed = request.seed.strip()
    if not seed:
        raise InvalidRequest("The seed is empty: give me a few words to start from.")
    if len(seed) > SEED_MAX and request.kind != "continue":  # a continuation reads our text
        raise InvalidRequest(f"The seed is {len(seed)} characters; the limit is {SEED_MAX}.")
    lines = request.lines if request.lines is not None else min(DEFAULT_LINES, max_lines)
    if isinstance(lines, bool) or not isinstance(lines, int) or not 1 <= lines <= max_lines:
        raise InvalidRequest(f"`lines` must be between 1 and {max_lines}.")
    for name in RANGES:
        value = request.temperature if name == "temperature" else getattr(request, name)
        _check(name, value)
    return SamplingParams(
        **_song_form(request, words),
        temperature=DEFAULT_TEMPERATURE if request.temperature is None else request.temperature,
        top_p=request.top_p if request.top_p is not None else 1.0,
        top_k=request.top_k or 0,
        repetition_penalty=request.repetition_penalty or 1.0,
        anneal_to=request.anneal,
        lines=lines,
        max_tokens=lines * 120,
        rng_seed=request.rng_seed,
    )


def _song_form(request: LyricsRequest, default_words: str) -> dict[str, Any]:
    """The scheme, syllables, best-of, words and style fields, with the bot's measured
    defaults."""
    for name in ("scheme", "syllables", "words", "style"):
        if getattr(request, name) is not None and not isinstance(getattr(request, name), str):
            raise InvalidRequest(f"`{name}` must be text.")
    try:
        scheme = parse_scheme(request.scheme)
        syllables = parse_syllables(request.syllables)
        style = normalise_style(request.style) if request.style else None
    except ConfigError as exc:
        raise InvalidRequest(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None
    words = (request.words or default_words).strip().lower()
    if words not in WORD_MODES:
        raise InvalidRequest(f"`words` must be one of {', '.join(WORD_MODES)}.")
    best_of = request.best_of
    if best_of is None:
        best_of = SHAPED_BEST_OF if scheme or syllables else 1
    return {
        "scheme": scheme, "syllables": syllables, "best_of": best_of, "words": words,
        "style": style,
    }  # fmt: skip


class LyricsService:
    def __init__(self, engine: EngineService, db: Database, settings: Settings) -> None:
        self.engine = engine
        self.db = db
        self.settings = settings

    def admit(self, request: LyricsRequest) -> Admission:
        """Everything that can refuse a request without waiting, and a place in line; the
        caller answers a refusal privately, before deferring publicly."""
        params = validate(request, self.settings.max_lines, self.settings.words)
        if request.kind == "song":
            self.song_form(request.form)
        if params.rng_seed is None:  # fixed now, so the request can be written again alike
            params = params.with_seed(secrets.randbelow(2**31))
        self.engine.check_model(request.model)
        self._check_style(request.model, params.style)
        return Admission(request, params, self.engine.queue.admit())

    def _check_style(self, model: str | None, style: str | None) -> None:
        """A style the model does not know is refused before any waiting; a model not loaded
        yet is checked when it writes (the same message, after the wait)."""
        known = self.engine.styles(model)
        if style and known is not None and style not in known:
            message = unknown_style_message(style, known)
            raise InvalidRequest(f"{message[:1].upper()}{message[1:]}.")

    async def withdraw(self, admission: Admission) -> None:
        await self.engine.queue.withdraw(admission.ticket)

    async def write(
        self,
        admission: Admission,
        on_position: PositionCallback | None = None,
        *,
        shown: GenerationRow | None = None,
        live: LiveText | None = None,
    ) -> LyricsAnswer:
        """Generate and log. `shown` is a generation already attached to the answer's message
        (a restart cut in after it was shown): writing the same text again keeps its row, so
        its number and its ratings stay with the message. `live` receives the whole lines
        as they are written, for streaming."""
        request, params = admission.request, admission.params
        started = time.perf_counter()
        async with self._failures_logged(request, params, started):
            result = await self.engine.generate(
                request.seed.strip(), params, request.model, on_position, admission.ticket,
                live.hear if live is not None else None,
            )  # fmt: skip
        seeded = params.with_seed(result.rng_seed)
        latency_ms = (time.perf_counter() - started) * 1000
        if shown is not None and shown.output == result.texts[0]:
            return LyricsAnswer(shown.id, request, seeded, result, latency_ms)
        row = self._row(request, seeded, result.model_version, "ok", latency_ms)
        generation_id = await self.db.record_generation(replace(row, output=result.texts[0]))
        return LyricsAnswer(generation_id, request, seeded, result, latency_ms)

    async def write_song(
        self, admission: Admission, *, shown: GenerationRow | None = None
    ) -> SongAnswer:
        """A whole song in the request's form, logged as one generation (kind "song") with its
        sections; `shown` as for `write`."""
        request, params = admission.request, admission.params
        form = self.song_form(request.form)
        started = time.perf_counter()
        async with self._failures_logged(request, params, started):
            song = await self.engine.write_song(
                request.seed.strip(), params, form, request.model, admission.ticket
            )
        latency_ms = (time.perf_counter() - started) * 1000
        if shown is not None and shown.output == song.text:
            return SongAnswer(shown.id, request, params, song, form)
        row = self._row(request, params, song.model_version, "ok", latency_ms)
        logged = {**row.params, "form": "-".join(form)}
        generation_id = await self.db.record_generation(
            replace(row, output=song.text, params=logged, kind="song")
        )
        return SongAnswer(generation_id, request, params, song, form)

    def song_form(self, text: str | None) -> tuple[str, ...]:
        try:
            return parse_form(text)
        except ConfigError as exc:
            raise InvalidRequest(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None

    async def attach_message(
        self,
        answer: LyricsAnswer | SongAnswer,
        message_id: int,
        *,
        replacing: GenerationRow | None = None,
    ) -> None:
        """Link the answer's message to its row; a different row shown there before (see
        `write`) gives the message up."""
        if replacing is not None and replacing.id != answer.generation_id:
            await self.db.detach_message(message_id)
        await self.db.attach_message(answer.generation_id, message_id)

    async def log_lost(self, request: LyricsRequest, created_at: datetime, reason: str) -> None:
        """A request taken on and never answered: it is in the log all the same."""
        params = validate(request, self.settings.max_lines, self.settings.words)
        row = self._row(request, params, "(not written)", "cancelled", None, reason)
        await self.db.record_generation(replace(row, created_at=created_at))

    def _row(
        self,
        request: LyricsRequest,
        params: SamplingParams,
        model_version: str,
        status: Status,
        latency_ms: float | None,
        error: str | None = None,
    ) -> NewGeneration:
        return NewGeneration(
            source=request.source,
            seed=request.seed,
            params={
                **params.to_dict(),
                "model": request.model or self.engine.default_model,
                "weights": self.engine.weights(request.model),
                **({"style_strength": self.settings.style_strength} if params.style else {}),
                **({"preset": request.preset} if request.preset else {}),
            },
            model_version=model_version,
            status=status,
            latency_ms=latency_ms,
            error=error,
            rng_seed=params.rng_seed,
            guild_id=request.guild_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            interaction_id=request.interaction_id,
            parent_id=request.parent_id,
            kind=request.kind,
        )

    @asynccontextmanager
    async def _failures_logged(
        self, request: LyricsRequest, params: SamplingParams, started: float
    ) -> AsyncIterator[None]:
        """A generation that fails is logged too, and told to the user in one sentence."""
        try:
            yield
        except GenerationTimedOut as exc:
            await self._log_failure(request, params, started, "timeout", str(exc))
            raise
        except LyricCoreError as exc:
            await self._log_failure(request, params, started, "error", str(exc))
            raise UserFacingError(f"I couldn't write that: {exc}") from exc

    async def _log_failure(
        self,
        request: LyricsRequest,
        params: SamplingParams,
        started: float,
        status: Status,
        error: str,
    ) -> None:
        """Failed requests are logged too: evaluation needs to see what went wrong."""
        generator = await self.engine.generator_for(request.model)
        latency_ms = (time.perf_counter() - started) * 1000
        row = self._row(request, params, generator.model.version, status, latency_ms, error)
        await self.db.record_generation(row)
