"""The one owner of generation: loaded models, the queue, the warm-up.

Generation never runs on the event loop: each model's requests are stepped together in one
batch on its own thread (lyriccore/batcher.py), at most `workers` requests at a time. Models
load lazily (also off the loop) and stay loaded. When the default model does not exist yet,
the starter model is trained in a separate, niced process, so the bot stays responsive and
answers "warming up".
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import torch

from bot.services.errors import GenerationTimedOut, NoModel, WarmingUp
from bot.services.processes import lower_priority
from bot.services.queue import GenerationQueue, PositionCallback, Ticket
from bot.services.registry import ModelRegistry
from bot.settings import Settings
from lyriccore.checkpoint import load_model
from lyriccore.errors import CheckpointError, GenerationCancelled
from lyriccore.generator import GenerationResult, Generator
from lyriccore.sampling import SamplingParams

log = logging.getLogger(__name__)
STARTER_NAME = "starter"


class EngineService:
    def __init__(self, settings: Settings, registry: ModelRegistry) -> None:
        self.settings = settings
        self.registry = registry
        # torch here only reads seeds, one short sequence at a time, inside the batch threads:
        # more intra-op threads would only wait on each other when a neighbour takes a core.
        torch.set_num_threads(1)
        self.queue = GenerationQueue(settings.workers, settings.queue_size)
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="load-model")
        self._generators: dict[str, Generator] = {}
        self._load_lock = asyncio.Lock()
        self._warmup: asyncio.Task[None] | None = None
        self._warmup_process: asyncio.subprocess.Process | None = None
        self._serving = registry.serving() or settings.default_model

    @property
    def warming_up(self) -> bool:
        return self._warmup is not None and not self._warmup.done()

    @property
    def default_model(self) -> str:
        """The serving version: the last promoted or rolled-back one, else the configured."""
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

    async def start(self) -> None:
        """Make sure there is something to serve: train the starter model if needed."""
        if self.registry.has(self.default_model):
            await self.generator_for(self.default_model)
        elif self.default_model == STARTER_NAME:
            self._warmup = asyncio.create_task(self._train_starter(), name="starter-training")
        else:
            log.error("default model %r not found in %s", self.default_model, self.registry.root)

    @property
    def active_rows(self) -> int:
        """Streams being written right now, every model's batch together."""
        return sum(g.active_rows for g in self._generators.values())

    def loaded_generator(self, name: str) -> Generator | None:
        return self._generators.get(name)

    def check_model(self, name: str | None) -> None:
        """Refuse an unknown `model` option before any waiting starts."""
        if name is not None and name not in self._generators:
            self.registry.path(name)

    async def generator_for(self, name: str | None) -> Generator:
        name = name or self.default_model
        if name in self._generators:
            return self._generators[name]
        if not self.registry.has(name):
            if name == self.default_model and self.warming_up:
                raise WarmingUp()
            if name == self.default_model:
                raise NoModel("No model is available yet; an admin needs to train one.")
        path = self.registry.path(name)
        async with self._load_lock:
            if name not in self._generators:
                loop = asyncio.get_running_loop()
                loaded = await loop.run_in_executor(self._loader, load_model, path)
                self._generators[name] = Generator(loaded, threads=self.settings.generation_threads)
                log.info("loaded model %s (%s)", name, loaded.version)
        return self._generators[name]

    async def generate(
        self,
        seed: str,
        params: SamplingParams,
        model: str | None = None,
        on_position: PositionCallback | None = None,
        ticket: Ticket | None = None,
    ) -> GenerationResult:
        try:
            generator = await self.generator_for(model)
        except BaseException:
            if ticket is not None:
                await self.queue.withdraw(ticket)
            raise
        async with self.queue.slot(ticket, on_position):
            return await self._run_with_budget(generator, seed, params)

    async def _run_with_budget(
        self, generator: Generator, seed: str, params: SamplingParams
    ) -> GenerationResult:
        cancel = threading.Event()
        future = asyncio.wrap_future(generator.submit(seed, params, cancel=cancel))
        try:
            return await asyncio.wait_for(
                asyncio.shield(future), timeout=self.settings.generation_timeout
            )
        except (TimeoutError, asyncio.CancelledError) as exc:
            cancel.set()  # the batch drops the request within one step
            await asyncio.shield(asyncio.gather(future, return_exceptions=True))
            if isinstance(exc, TimeoutError):
                raise GenerationTimedOut(self.settings.generation_timeout) from None
            raise
        except GenerationCancelled:
            raise GenerationTimedOut(self.settings.generation_timeout) from None

    async def _train_starter(self) -> None:
        out = self.registry.root / STARTER_NAME
        log_path = self.registry.root / "starter-training.log"
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "lyriccore.cli", "starter", "--out", str(out),
            "--max-minutes", str(self.settings.starter_minutes), "--no-sample",
        ]  # fmt: skip
        log.info("no model yet: training the starter model (log: %s)", log_path)
        with log_path.open("ab") as sink:
            self._warmup_process = await asyncio.create_subprocess_exec(
                *command, stdout=sink, stderr=sink, preexec_fn=lower_priority
            )
            code = await self._warmup_process.wait()
        if code != 0:
            log.error("starter training failed (exit %s); see %s", code, log_path)
            return
        try:
            await self.generator_for(STARTER_NAME)
        except CheckpointError:
            log.exception("the starter model could not be loaded")

    async def close(self) -> None:
        process = self._warmup_process
        if process is not None and process.returncode is None:
            process.terminate()
            await process.wait()
        if self._warmup is not None:
            self._warmup.cancel()
            await asyncio.gather(self._warmup, return_exceptions=True)
        for generator in self._generators.values():
            await asyncio.to_thread(generator.close)
        self._loader.shutdown(wait=True, cancel_futures=True)
