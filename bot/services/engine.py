"""The one owner of generation: loaded models, the queue, the warm-up.

Generation never runs on the event loop: each model's requests are stepped together in one
batch on its own thread (lyriccore/batcher.py), at most `workers` requests at a time. Models
load lazily (also off the loop) and stay loaded; a checkpoint replaced on disk under the same
name is loaded again, so whatever the registry holds is what is served. While the first model
trains (TrainingService) there is nothing to load, and /lyrics answers "warming up".
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import NoReturn, TypeVar

import torch

from bot.services.errors import GenerationTimedOut, NoModel, WarmingUp
from bot.services.queue import GenerationQueue, PositionCallback, Ticket
from bot.services.registry import ModelRegistry
from bot.settings import Settings
from lyriccore.batcher import LinesCallback
from lyriccore.checkpoint import LoadedModel, load_model
from lyriccore.errors import GenerationCancelled
from lyriccore.generator import GenerationResult, Generator
from lyriccore.sampling import SamplingParams
from lyriccore.song import Song, sections_written, write_song

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class WarmUp:
    """The first model is training: how long people are told to wait."""

    deadline: float  # time.monotonic() when it should be done

    def expect_in(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    @property
    def eta_seconds(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


class EngineService:
    def __init__(self, settings: Settings, registry: ModelRegistry) -> None:
        self.settings = settings
        self.registry = registry
        # torch here only reads seeds, one short sequence at a time, inside the batch threads:
        # more intra-op threads would only wait on each other when a neighbour takes a core.
        torch.set_num_threads(1)
        self.queue = GenerationQueue(settings.workers, settings.queue_size)
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="load-model")
        # A song waits on its sections one after another; its thread only waits on the batch.
        self._songs = ThreadPoolExecutor(4, thread_name_prefix="song")
        self._generators: dict[str, Generator] = {}
        self._identities: dict[str, tuple[int, int, int]] = {}
        self._load_lock = asyncio.Lock()
        self.warm_up: WarmUp | None = None  # set by TrainingService while the first model trains
        self._serving = registry.serving() or settings.default_model
        self._serving_poll = settings.serving_poll_seconds
        self._serving_read = time.monotonic()

    @property
    def warming_up(self) -> bool:
        return self.warm_up is not None

    @property
    def default_model(self) -> str:
        """The serving version: the last promoted or rolled-back one, else the configured.

        The registry's pointer file is read again every ``serving_poll_seconds``, so a model
        another bot process promoted on the same models folder is served here too, without a
        restart (a few hundred bytes read; the model itself loads on its next request)."""
        now = time.monotonic()
        if now - self._serving_read >= self._serving_poll:
            self._serving_read = now
            self._serving = self.registry.serving() or self._serving
        return self._serving

    async def serve(self, name: str) -> Generator:
        """Switch /lyrics to `name` without a restart. Requests already running keep the
        model they started with; the next ones use the new one."""
        generator = await self.generator_for(name)
        self.registry.set_serving(name)
        self._serving = name
        log.info("now serving %s (%s)", name, generator.model.version)
        return generator

    def model_names(self) -> list[str]:
        return self.registry.names()

    async def start(self) -> bool:
        """Load the serving model; False when there is none yet."""
        if self.registry.has(self.default_model):
            await self.generator_for(self.default_model)
            return True
        return False

    @property
    def active_rows(self) -> int:
        """Streams being written right now, every model's batch together."""
        return sum(g.active_rows for g in self._generators.values())

    def loaded_generator(self, name: str) -> Generator | None:
        return self._generators.get(name)

    def styles(self, name: str | None) -> tuple[str, ...] | None:
        """The styles a model knows, for autocomplete and early checks; None while it is not
        loaded (it is loaded by its first request)."""
        generator = self.loaded_generator(name or self.default_model)
        return generator.model.tokenizer.styles if generator is not None else None

    def weights(self, name: str | None) -> str:
        """The weights a model is served with: its generator's, or the setting before it is
        loaded."""
        generator = self.loaded_generator(name or self.default_model)
        return generator.weights if generator is not None else self.settings.serving_weights

    def check_model(self, name: str | None) -> None:
        """Refuse, before any waiting starts, an unknown `model` option, or a request for the
        default model while there is none to serve yet (warming up, or none at all)."""
        if name is not None:
            self.registry.path(name)
        elif not self.registry.has(self.default_model):
            self._no_default_model()

    async def generator_for(self, name: str | None) -> Generator:
        """The loaded model for `name`, loading it first if it is new or was replaced."""
        name = name or self.default_model
        if not self.registry.has(name):
            if name == self.default_model:
                self._no_default_model()
            self.registry.path(name)  # says there is no such model
        identity = self.registry.identity(name)
        if self._identities.get(name) == identity:
            return self._generators[name]
        async with self._load_lock:
            if self._identities.get(name) != identity:
                await self._load(name, identity)
        return self._generators[name]

    def _no_default_model(self) -> NoReturn:
        if self.warm_up is not None:
            raise WarmingUp(self.warm_up.eta_seconds)
        raise NoModel("No model is available yet; an admin needs to train one.")

    async def _load(self, name: str, identity: tuple[int, int, int]) -> None:
        """Off the event loop. A model already loaded under this name is swapped: requests
        running on the old weights finish on them."""
        loop = asyncio.get_running_loop()
        loaded = await loop.run_in_executor(self._loader, load_model, self.registry.path(name))
        # Building the serving step (an int8 graph, its session, a warm-up) is CPU work that
        # grows with the model: off the loop, like the load.
        if name in self._generators:
            await loop.run_in_executor(self._loader, self._generators[name].swap, loaded)
        else:
            self._generators[name] = await loop.run_in_executor(
                self._loader, self._new_generator, loaded
            )
        if self.settings.words != "off":  # the word sets, now rather than in a first request
            await loop.run_in_executor(self._loader, self._generators[name].prepare_song_form)
        self._identities[name] = identity
        log.info("loaded model %s (%s)", name, loaded.version)

    def _new_generator(self, loaded: LoadedModel) -> Generator:
        settings = self.settings
        return Generator(
            loaded,
            threads=settings.generation_threads,
            weights=settings.serving_weights,
            style_strength=settings.style_strength,
        )

    async def generate(
        self,
        seed: str,
        params: SamplingParams,
        model: str | None = None,
        on_position: PositionCallback | None = None,
        ticket: Ticket | None = None,
        on_lines: LinesCallback | None = None,
    ) -> GenerationResult:
        """`on_lines` (see lyriccore.batcher) is called on the batch thread."""
        generator = await self._generator_holding(model, ticket)
        async with self.queue.slot(ticket, on_position):
            return await self._run_with_budget(generator, seed, params, on_lines)

    async def _generator_holding(self, model: str | None, ticket: Ticket | None) -> Generator:
        """The model to write with; a request that cannot have one gives up its place."""
        try:
            return await self.generator_for(model)
        except BaseException:
            if ticket is not None:
                await self.queue.withdraw(ticket)
            raise

    async def _run_with_budget(
        self,
        generator: Generator,
        seed: str,
        params: SamplingParams,
        on_lines: LinesCallback | None,
    ) -> GenerationResult:
        def start(cancel: threading.Event) -> Future[GenerationResult]:
            return generator.submit(seed, params, cancel=cancel, on_lines=on_lines)

        return await self._within_budget(start, self.settings.generation_timeout)

    async def write_song(
        self,
        seed: str,
        params: SamplingParams,
        form: tuple[str, ...],
        model: str | None = None,
        ticket: Ticket | None = None,
    ) -> Song:
        """A song is one request in the queue; its budget is one answer's per section written."""
        generator = await self._generator_holding(model, ticket)

        def start(cancel: threading.Event) -> Future[Song]:
            return self._songs.submit(write_song, generator, seed, params, form, cancel=cancel)

        budget = self.settings.generation_timeout * sections_written(form)
        async with self.queue.slot(ticket, None):
            return await self._within_budget(start, budget)

    async def _within_budget(
        self, start: Callable[[threading.Event], Future[T]], seconds: float
    ) -> T:
        """Run `start`'s work, stopping it (within one batch step) past `seconds`."""
        cancel = threading.Event()
        future = asyncio.wrap_future(start(cancel))
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout=seconds)
        except (TimeoutError, asyncio.CancelledError) as exc:
            cancel.set()  # the batch drops the request within one step
            await asyncio.shield(asyncio.gather(future, return_exceptions=True))
            if isinstance(exc, TimeoutError):
                raise GenerationTimedOut(seconds) from None
            raise
        except GenerationCancelled:
            raise GenerationTimedOut(seconds) from None

    async def close(self) -> None:
        for generator in self._generators.values():
            await asyncio.to_thread(generator.close)
        self._loader.shutdown(wait=True, cancel_futures=True)
        self._songs.shutdown(wait=True, cancel_futures=True)
