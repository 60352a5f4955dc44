"""Retraining on the approved corpus, manual or scheduled, with safe promotion.

One run at a time. Training happens in a separate, niced worker process with its own thread
count, so the bot keeps answering /lyrics at normal speed. The worker writes into a staging
folder; only a finished run is moved into the registry, and it is served only if it scores no
worse than the serving model on the same fixed held-out text. Whatever happens to the worker
(a crash, a kill, bad output), the serving model is untouched and the run is recorded.

The first model, trained when there is nothing to serve at all, goes down the same road (a
run with trigger "starter"): it is served only once finished, and its staging folder outlives
a restart so the next process resumes it. The worker dies with the bot (processes.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.services.corpus import ApprovedSet, CorpusService
from bot.services.engine import EngineService, WarmUp
from bot.services.errors import UserFacingError
from bot.services.processes import child_setup
from bot.services.registry import FIRST_MODEL
from bot.settings import Settings
from bot.storage import Database, NewTrainingRun, TrainingRun
from bot.storage.locks import try_lock
from bot.training.protocol import Progress, Verdict, decode
from lyriccore.checkpoint import load_model
from lyriccore.corpus import save_documents
from lyriccore.launch import torchrun_command

log = logging.getLogger(__name__)
Trigger = Literal["manual", "scheduled", "starter"]
ProgressCallback = Callable[["TrainingJob"], Awaitable[None]]
WORKER = "bot.training.worker"


TRAINING_LOCK = "training"
"""Held by the one process of a database that is training; see ``bot.storage.locks``."""


class AlreadyTraining(UserFacingError):
    def __init__(self, job: TrainingJob) -> None:
        self.job = job
        super().__init__(f"A retrain is already running: {job.describe()}")


@dataclass(frozen=True)
class RetrainRequest:
    trigger: Trigger
    requested_by: int | None = None
    level: Literal["char", "word"] = "char"
    epochs: int | None = None
    minutes: float | None = None
    force: bool = False


@dataclass
class TrainingJob:
    run_id: int
    request: RetrainRequest
    started: float = field(default_factory=time.monotonic)
    progress: Progress | None = None

    def describe(self) -> str:
        if self.progress is None:
            return f"run #{self.run_id} is starting" if self.run_id else "a run is starting"
        p = self.progress
        eta = f", about {p.eta_seconds / 60:.1f} min left" if p.eta_seconds is not None else ""
        return (
            f"run #{self.run_id}: epoch {p.epoch}/{p.epochs}, "
            f"loss {p.train_loss:.3f} (validation {p.val_loss:.3f}){eta}"
        )


class TrainingService:
    def __init__(
        self, settings: Settings, db: Database, engine: EngineService, corpus: CorpusService
    ) -> None:
        self.settings = settings
        self.db = db
        self.engine = engine
        self.corpus = corpus
        self.job: TrainingJob | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._stopping = False
        self._first_model: asyncio.Task[None] | None = None

    async def recover(self) -> None:
        """After a crash or restart: no half-written model stays, no run stays 'running'.

        Only when no process of this database is training (the training lock is free): a
        run another bot process is in the middle of is neither interrupted nor deleted."""
        async with try_lock(self.db.backend, TRAINING_LOCK) as alone:
            if not alone:
                log.info("another bot process is training; its run is left alone")
                return
            self.engine.registry.clear_staging()
            count = await self.db.mark_interrupted_runs("the bot stopped while it ran")
        if count:
            log.warning("%d training run(s) were interrupted by a restart", count)

    def start_first_model(self) -> None:
        """Nothing to serve yet: train the first model in the background while /lyrics
        answers "warming up" with the time left."""
        minutes = self.settings.starter_minutes
        self.engine.warm_up = WarmUp(time.monotonic() + minutes * 60)
        self._first_model = asyncio.create_task(self._train_first_model(), name="first-model")

    async def _train_first_model(self) -> None:
        request = RetrainRequest(trigger="starter", minutes=self.settings.starter_minutes)
        try:
            run = await self.retrain(request, self._warm_up_progress)
            log.info("first model: %s", run.reason)
        except UserFacingError as exc:  # another bot process is training it
            log.info("first model: %s", exc)
        except Exception:
            log.exception("the first model could not be trained")
        finally:
            self.engine.warm_up = None

    async def _warm_up_progress(self, job: TrainingJob) -> None:
        warm_up, progress = self.engine.warm_up, job.progress
        if warm_up is not None and progress is not None and progress.eta_seconds is not None:
            warm_up.expect_in(progress.eta_seconds)

    async def retrain(
        self, request: RetrainRequest, on_progress: ProgressCallback | None = None
    ) -> TrainingRun:
        """Run the whole pipeline and return the finished run's row."""
        if self.job is not None:
            raise AlreadyTraining(self.job)
        self.job = TrainingJob(0, request)  # reserve at once: a second caller is refused
        try:
            async with try_lock(self.db.backend, TRAINING_LOCK) as mine:
                if not mine:
                    raise UserFacingError("A retrain is already running in another bot process.")
                return await self._pipeline(request, self.job, on_progress)
        finally:
            self.job = None

    async def _pipeline(
        self, request: RetrainRequest, job: TrainingJob, on_progress: ProgressCallback | None
    ) -> TrainingRun:
        approved = await self.corpus.approved_set()
        params = {"epochs": request.epochs, "minutes": request.minutes, "force": request.force}
        run_id = await self.db.start_training_run(
            NewTrainingRun(
                trigger=request.trigger,
                level=request.level,
                params=params,
                requested_by=request.requested_by,
                corpus_fingerprint=approved.fingerprint,
            )
        )
        if not request.force and approved.fingerprint == self._serving_fingerprint():
            reason = "the approved corpus is unchanged since the serving model was trained"
            return await self.db.finish_training_run(run_id, "skipped", reason=reason)
        job.run_id = run_id
        return await self._train(job, approved, on_progress)

    def _serving_fingerprint(self) -> str | None:
        generator = self.engine.loaded_generator(self.engine.default_model)
        return generator.model.corpus_fingerprint if generator else None

    async def _train(
        self, job: TrainingJob, approved: ApprovedSet, on_progress: ProgressCallback | None
    ) -> TrainingRun:
        first = job.request.trigger == "starter"
        registry = self.engine.registry
        staging = registry.first_model_staging() if first else registry.staging(job.run_id)
        staging.mkdir(parents=True, exist_ok=True)
        save_documents(staging / "corpus.json", approved.train)
        save_documents(staging / "heldout.json", approved.heldout)
        verdict, error = await self._run_worker(job, staging, on_progress)
        if verdict is None:
            if not (first and self._stopping):  # an interrupted first model resumes next start
                shutil.rmtree(staging, ignore_errors=True)
            if self._stopping:
                reason = "the bot was shutting down; the serving model is unchanged"
                return await self.db.finish_training_run(job.run_id, "interrupted", reason=reason)
            return await self.db.finish_training_run(
                job.run_id, "failed", reason="the training process failed", error=error
            )
        return await self._decide(job, verdict, staging / "model")

    def _command(self, job: TrainingJob, staging: Path) -> list[str]:
        """The worker in one process, or under torchrun on LYRICBOT_TRAIN_NPROC ranks (and the
        nodes LYRICBOT_TRAIN_LAUNCHER reaches): the same arguments either way."""
        request, settings = job.request, self.settings
        minutes = request.minutes or settings.retrain_minutes
        args = [
            "--corpus", str(staging / "corpus.json"), "--heldout", str(staging / "heldout.json"),
            "--out", str(staging / "model"), "--level", request.level,
            "--max-minutes", str(minutes), "--threads", str(settings.train_threads),
        ]  # fmt: skip
        if request.epochs:
            args += ["--epochs", str(request.epochs)]
        if request.trigger == "starter":
            args += ["--resume"]
        serving = self.engine.default_model
        if self.engine.registry.has(serving):
            args += ["--serving", str(self.engine.registry.path(serving))]
        if settings.train_nproc == 1 and settings.train_launcher is None:
            return [sys.executable, "-m", WORKER, *args]
        return torchrun_command(settings.train_nproc, WORKER, args, settings.train_launcher)

    async def _run_worker(
        self, job: TrainingJob, staging: Path, on_progress: ProgressCallback | None
    ) -> tuple[Verdict | None, str | None]:
        log_path = self.engine.registry.log_path(job.run_id)
        with log_path.open("ab") as errors:
            self._process = process = await asyncio.create_subprocess_exec(
                *self._command(job, staging),
                stdout=asyncio.subprocess.PIPE,
                stderr=errors,
                preexec_fn=child_setup(),
            )
            verdict = await self._follow(job, process, on_progress)
            code = await process.wait()
        self._process = None
        if code != 0 or verdict is None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-500:].strip()
            return None, f"exit status {code}: {tail or 'no output'}"
        return verdict, None

    async def _follow(
        self,
        job: TrainingJob,
        process: asyncio.subprocess.Process,
        on_progress: ProgressCallback | None,
    ) -> Verdict | None:
        assert process.stdout is not None
        verdict: Verdict | None = None
        async for raw in process.stdout:
            event = decode(raw.decode("utf-8", errors="replace"))
            if isinstance(event, Progress):
                job.progress = event
                if on_progress is not None:
                    await _safely(on_progress(job))
            elif isinstance(event, Verdict):
                verdict = event
        return verdict

    async def _decide(self, job: TrainingJob, verdict: Verdict, model_dir: Path) -> TrainingRun:
        """Adopt the finished run; serve it only if it is no worse on the held-out text."""
        registry = self.engine.registry
        name = FIRST_MODEL if job.request.trigger == "starter" else registry.next_version()
        registry.adopt(model_dir, name)
        if job.request.trigger == "starter":
            shutil.rmtree(registry.first_model_staging(), ignore_errors=True)
        version = load_model(registry.path(name)).version
        metrics = {
            "candidate_bpc": verdict.candidate_bpc,
            "serving_bpc": verdict.serving_bpc,
            "best_val_loss": verdict.best_val_loss,
            "epochs_run": verdict.epochs_run,
            "stopped": verdict.stopped,
        }
        serving = verdict.serving_bpc
        if serving is not None and verdict.candidate_bpc > serving:
            reason = (
                f"kept as {name} but not served: {verdict.candidate_bpc:.3f} bits/char on the "
                f"held-out text against {serving:.3f} for the serving model"
            )
            return await self.db.finish_training_run(
                job.run_id, "not_promoted", reason=reason, metrics=metrics, model_version=version
            )
        await self.engine.serve(name)
        reason = f"promoted {name}: {verdict.candidate_bpc:.3f} bits/char on the held-out text"
        return await self.db.finish_training_run(
            job.run_id, "promoted", reason=reason, metrics=metrics, model_version=version
        )

    async def close(self) -> None:
        """Stop a running worker at shutdown; its run is recorded as interrupted, and the
        staging folder removed, by the pipeline that was waiting for it."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            process.terminate()
            with contextlib.suppress(ProcessLookupError):
                await asyncio.wait_for(process.wait(), timeout=10)
        if self._first_model is not None:
            await asyncio.gather(self._first_model, return_exceptions=True)


async def _safely(update: Awaitable[None]) -> None:
    """A failed progress message (Discord hiccup) must not fail the training run."""
    try:
        await update
    except Exception:
        log.warning("could not report training progress", exc_info=True)
