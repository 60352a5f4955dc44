"""The training loop: full-sequence targets, validation each epoch, early stopping, atomic
checkpoints, exact resume; on one process or, under torchrun, on several (DistributedDataParallel,
distributed.py), with the same loop and the same checkpoints.

Every position of every window is a target (the tutorial scored one per window and wasted
~seq_len× the compute). A run folder holds `last.pt` (resumable: optimiser, schedule and RNG
state included), `best.pt` (the lowest validation loss, what generation serves) and the
metrics history as CSV and JSON.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from lyriccore.averaging import WeightAverage
from lyriccore.batching import (
    batches_per_epoch,
    check_enough,
    iterate_batches,
    lanes,
    split_train_val,
)
from lyriccore.checkpoint import BEST, LAST, read_checkpoint, save_checkpoint
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus
from lyriccore.distributed import SINGLE, World
from lyriccore.errors import ConfigError, CorpusError
from lyriccore.history import EpochMetrics, write_history
from lyriccore.model import LyricsLSTM, ModelConfig, State, detach_state, input_ids
from lyriccore.objective import Objective, token_loss
from lyriccore.seeding import capture_rng_state, restore_rng_state, seed_everything
from lyriccore.tokenizer import GENERIC_TOKEN, Tokenizer, build_tokenizer, tokenizer_from_dict
from lyriccore.words import corpus_words

log = logging.getLogger(__name__)
EpochCallback = Callable[[EpochMetrics], None]


@dataclass
class TrainResult:
    out_dir: Path
    epochs_run: int
    best_val_loss: float
    stopped: str
    history: list[EpochMetrics] = field(default_factory=list)


@dataclass
class _RunState:
    """What `last.pt` must hold to continue a run exactly where it stopped."""

    epoch: int = 0
    step: int = 0
    best_val: float = math.inf
    bad_epochs: int = 0
    history: list[EpochMetrics] = field(default_factory=list)


def cpu_has_bf16() -> bool:
    """Native bf16 arithmetic (AVX-512 BF16 or AMX); elsewhere it is emulated, slower than fp32."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def autocast_dtype(amp: str, device: torch.device) -> torch.dtype | None:
    """Mixed precision by default where the hardware has it: on GPUs, and on CPUs with native
    bf16, where bf16 autocast trains ~2x faster to the same validation curve as fp32
    (`python -m bench curves`, bench/README.md)."""
    native = device.type == "cuda" or (device.type == "cpu" and cpu_has_bf16())
    if amp == "off" or (amp == "auto" and not native):
        return None
    if amp == "fp16" and device.type != "cuda":
        raise ConfigError("amp fp16 needs a CUDA GPU (the CPU LSTM has no fp16); use bf16")
    if amp == "fp16" or (
        amp == "auto" and device.type == "cuda" and not torch.cuda.is_bf16_supported()
    ):
        return torch.float16
    return torch.bfloat16


class Trainer:
    def __init__(
        self,
        corpus: Corpus,
        config: TrainConfig,
        out_dir: Path,
        *,
        resume: bool = False,
        progress: bool = True,
        on_epoch: EpochCallback | None = None,
        world: World = SINGLE,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.world = world
        self.corpus = corpus
        self.progress = progress
        self.on_epoch = on_epoch
        self.run = _RunState()
        saved = self._saved_run(resume)
        self.config = (
            TrainConfig.from_saved(saved["train_config"]) if saved else config
        ).resolved()
        if saved:
            # A resumed run may be given more epochs or a new time budget, nothing else.
            self.config = _with_overrides(self.config, config)
        if self.config.threads:
            torch.set_num_threads(self.config.threads)
        seed_everything(self.config.seed)  # every rank: the same initial weights
        self.device = world.device(self.config.device)  # set before the model is built
        self.tokenizer = self._tokenizer(saved)
        model_config = self._model_config(saved)
        self.train_data, self.val_data = self._datasets(model_config)
        self.corpus_words = corpus_words(self.corpus.text)  # strict word mode's list
        self.model = LyricsLSTM(model_config).to(self.device)
        self.average = WeightAverage(self.model, self.config.average, self.config.average_decay)
        self.serve_average = False  # whether the last validation preferred the averaged weights
        # fused: one kernel for every parameter's update instead of a dozen ops per tensor.
        self.optimizer = torch.optim.Adam(
            self.model.parameters(),
            lr=self._lr,
            weight_decay=self.config.weight_decay,
            fused=True,
        )
        self.schedule = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        self.amp_dtype = autocast_dtype(self.config.amp, self.device)
        self.scaler = torch.amp.GradScaler(
            self.device.type, enabled=self.amp_dtype == torch.float16
        )
        if saved:
            self._restore(saved)
        self.model.lstm.flatten_parameters()  # cuDNN's one weight buffer, after .to and loads
        world.split_seeds(self.config.seed, self.run.epoch)
        ar, tar = self.config.ar, self.config.tar
        assert ar is not None and tar is not None  # filled in by resolved()
        self.objective = world.wrap(Objective(self.model, ar, tar), self.device)

    # -- set-up ---------------------------------------------------------------------------
    def _saved_run(self, resume: bool) -> dict[str, Any] | None:
        last = self.out_dir / LAST
        if not resume:
            if last.exists():
                raise ConfigError(
                    f"{self.out_dir} already holds a run: pass --resume to continue it, "
                    "or choose another --out"
                )
            return None
        saved = read_checkpoint(last)
        if saved.get("corpus_fingerprint") != self.corpus.fingerprint:
            raise CorpusError(
                "the corpus differs from the one this run started on; resume needs the same "
                "corpus and settings"
            )
        return saved

    def _tokenizer(self, saved: dict[str, Any] | None) -> Tokenizer:
        if saved:
            return tokenizer_from_dict(saved["tokenizer"])
        c = self.config
        return build_tokenizer(
            c.level,
            self.corpus.text,
            lowercase=c.lowercase,
            min_freq=c.min_freq,
            max_vocab=c.max_vocab,
            styles=self.corpus.styles,
        )

    def _datasets(self, model_config: ModelConfig) -> tuple[torch.Tensor, torch.Tensor]:
        """Each rank's columns of the training and validation lanes: batch_size lanes per rank,
        world × batch_size in all (no DistributedSampler: it shuffles and pads, and truncated
        BPTT needs each lane to continue where the previous batch left it)."""
        c, world = self.config, self.world
        assert c.batch_size is not None and c.seq_len is not None
        encoded = self.tokenizer.encode_corpus(self.corpus)
        ids = input_ids(model_config, encoded.ids, encoded.slots)
        train, val = split_train_val(ids, c.val_fraction, blocks=c.val_blocks)
        check_enough(train, self.lanes, c.seq_len, "the training split")
        per_rank = max(1, min(c.batch_size, len(val) // (world.size * (c.seq_len + 1))))
        check_enough(val, world.size * per_rank, c.seq_len, "the validation split")
        train_part = world.columns(lanes(train, self.lanes))
        val_part = world.columns(lanes(val, world.size * per_rank))
        return train_part.to(self.device), val_part.to(self.device)

    @property
    def lanes(self) -> int:
        """Training lanes over all ranks: the global batch."""
        assert self.config.batch_size is not None
        return self.world.size * self.config.batch_size

    def _model_config(self, saved: dict[str, Any] | None) -> ModelConfig:
        """The network the settings ask for; a resumed run keeps whether it reads styles at
        every step (runs started before style vectors existed do not)."""
        c = self.config
        assert c.embed_dim is not None and c.hidden_size is not None and c.dropout is not None
        assert c.input_dropout is not None and c.embed_dropout is not None
        assert c.weight_drop is not None
        return ModelConfig(
            vocab_size=self.tokenizer.vocab_size,
            embed_dim=c.embed_dim,
            hidden_size=c.hidden_size,
            num_layers=c.num_layers,
            dropout=c.dropout,
            tie_weights=c.tie_weights,
            input_dropout=c.input_dropout,
            embed_dropout=c.embed_dropout,
            weight_drop=c.weight_drop,
            style_slots=self._style_slots(saved),
        )

    def _style_slots(self, saved: dict[str, Any] | None) -> int:
        if saved:
            return int(saved["model_config"].get("style_slots", 0))
        return len(self.tokenizer.styles) + 1 if self.tokenizer.styles else 0

    @property
    def _lr(self) -> float:
        assert self.config.lr is not None  # filled in by resolved()
        return self.config.lr

    @property
    def steps_per_epoch(self) -> int:
        assert self.config.seq_len is not None
        return batches_per_epoch(self.train_data, self.config.seq_len)

    def _lr_factor(self, step: int) -> float:
        """Linear warm-up, then cosine decay to min_lr_ratio over the planned run."""
        c = self.config
        if step < c.warmup_steps:
            return (step + 1) / c.warmup_steps
        total = max(1, c.epochs * self.steps_per_epoch - c.warmup_steps)
        progress = min(1.0, (step - c.warmup_steps) / total)
        return c.min_lr_ratio + (1 - c.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    def _restore(self, saved: dict[str, Any]) -> None:
        self.model.load_state_dict(saved["state_dict"])
        self.optimizer.load_state_dict(saved["optimizer"])
        self.schedule.load_state_dict(saved["schedule"])
        run = saved["run"]
        self.scaler.load_state_dict(saved.get("scaler", {}))
        if "average" in saved:
            self.average.load_state_dict(saved["average"])
        self.run = _RunState(
            epoch=run["epoch"],
            step=run["step"],
            best_val=run["best_val"],
            bad_epochs=run["bad_epochs"],
            history=[EpochMetrics(**m) for m in saved.get("metrics", [])],
        )
        restore_rng_state(saved["rng"])
        if run.get("lanes", self.lanes) != self.lanes:
            self._rescale_schedule(run["step"] * run["lanes"] / self.lanes)

    def _rescale_schedule(self, steps: float) -> None:
        """Resumed with another world size: an epoch now has another number of steps, so the
        schedule continues from the same share of the planned run rather than the same step
        count (the warm-up stays counted in steps of the new size)."""
        self.run.step = round(steps)
        self.schedule.last_epoch = self.run.step
        for group, base in zip(self.optimizer.param_groups, self.schedule.base_lrs, strict=True):
            group["lr"] = base * self._lr_factor(self.run.step)

    # -- the loop ------------------------------------------------------------------------
    def fit(self) -> TrainResult:
        started = time.monotonic()
        stopped = "epochs"
        try:
            while self.run.epoch < self.config.epochs:
                epoch_metrics, out_of_time = self._run_epoch(started)
                if self.world.agree(self._after_epoch(epoch_metrics), self.device):
                    stopped = "early stopping"
                    break
                if out_of_time:
                    stopped = "time budget"
                    break
        except KeyboardInterrupt:
            stopped = "interrupted"
            log.warning("interrupted: the last completed epoch is saved in %s", self.out_dir)
        return TrainResult(
            self.out_dir, self.run.epoch, self.run.best_val, stopped, list(self.run.history)
        )

    def _deadline_passed(self, started: float) -> bool:
        budget = self.config.max_minutes
        return budget is not None and time.monotonic() - started >= budget * 60

    def _run_epoch(self, started: float) -> tuple[EpochMetrics, bool]:
        c = self.config
        assert c.seq_len is not None
        self.model.train()
        epoch_start, tokens, loss_sum, batches = time.monotonic(), 0, 0.0, 0
        state: State | None = None
        out_of_time = False
        bar = tqdm(
            self._epoch_batches(),
            total=self.steps_per_epoch,
            desc=f"epoch {self.run.epoch + 1}/{c.epochs}",
            disable=None if self.progress and self.world.is_main else True,  # None: if a tty
            leave=False,
            unit="batch",
        )
        for inputs, targets in bar:
            loss, state = self._step(self._some_lanes_generic(inputs), targets, state)
            tokens += targets.numel()
            loss_sum += loss
            batches += 1
            rate = tokens / max(1e-9, time.monotonic() - epoch_start)
            bar.set_postfix(loss=f"{loss:.3f}", tok_s=f"{rate:,.0f}")
            if self.world.agree(self._deadline_passed(started), self.device):
                out_of_time = True
                break
        bar.close()
        seconds = time.monotonic() - epoch_start
        # over every rank: the same mean loss everywhere, and the whole job's throughput
        summed, count, everyone = self.world.sum([loss_sum, batches, tokens], self.device)
        metrics = self._validate(summed / max(1.0, count), int(everyone), seconds)
        return metrics, out_of_time

    def _epoch_batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Shift window boundaries each epoch (seeded by the epoch, so resume sees the same
        ones) so the model does not always see the same cut points."""
        assert self.config.seq_len is not None
        gen = torch.Generator().manual_seed(self.config.seed * 1009 + self.run.epoch)
        offset = int(torch.randint(0, self.config.seq_len, (1,), generator=gen))
        if batches_per_epoch(self.train_data, self.config.seq_len, offset) == 0:
            offset = 0
        vary = gen if self.config.vary_seq_len else None
        return iterate_batches(self.train_data, self.config.seq_len, offset=offset, vary=vary)

    def _some_lanes_generic(self, inputs: torch.Tensor) -> torch.Tensor:
        """A `generic_share` of the lanes of a styled model's window read as songs of no
        style: the generic vector at every step, the generic token where a style's stood.
        Drawn from the training RNG (per rank, saved with each checkpoint)."""
        share, model = self.config.generic_share, self.model
        if model.style_embed is None or share == 0.0:
            return inputs
        generic = torch.rand(inputs.size(0), 1, device=inputs.device) < share  # (B, 1)
        tokens = model.tokens_of(inputs)
        is_style = (tokens > GENERIC_TOKEN) & (tokens < self.tokenizer.reserved)
        plain = torch.where(is_style, GENERIC_TOKEN, tokens)
        return torch.where(generic, plain, inputs)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _step(
        self, inputs: torch.Tensor, targets: torch.Tensor, state: State | None
    ) -> tuple[float, State | None]:
        with self._autocast():
            loss, new_state = self._loss(inputs, targets, state)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        # After backward, where DDP has averaged the gradients over the ranks: every rank clips
        # the same gradient by the same norm, and the weights stay identical.
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.schedule.step()
        self.run.step += 1
        if self.config.average != "off" and self.run.epoch >= self.config.average_start:
            self.average.update()
        return loss.item(), detach_state(new_state) if self.config.carry_state else None

    def _loss(
        self, inputs: torch.Tensor, targets: torch.Tensor, state: State | None
    ) -> tuple[torch.Tensor, State]:
        """The objective, through DDP's forward where there is one (objective.py)."""
        loss, new_state = self.objective(inputs, targets, state)
        return loss, new_state

    @torch.no_grad()
    def evaluate_loss(self, data: torch.Tensor) -> float:
        """Mean cross-entropy (nats per token) over `data` lanes, state carried throughout,
        and over every rank's lanes: all ranks then see the same loss and stop alike."""
        assert self.config.seq_len is not None
        sums = loss_sums(self.model, data, self.config.seq_len, self._autocast)
        total, count = self.world.sum(sums, self.device)
        return total / max(1.0, count)

    def _validate(self, train_loss: float, tokens: int, seconds: float) -> EpochMetrics:
        """Validate the raw and the averaged weights; the better is what this epoch serves.

        The average lags behind weights that are still improving fast (an EMA over 200 steps
        lost 0.43 nats/char to the raw weights after one epoch of tinyshakespeare) and can only
        win once they settle. Serving the better one means averaging never serves worse
        weights, whatever the budget; it costs this second validation pass.
        """
        raw_loss = self.evaluate_loss(self.val_data)
        averaged_loss = None
        if self.average.count:
            with self.average.swapped_in():
                averaged_loss = self.evaluate_loss(self.val_data)
        val_loss = raw_loss if averaged_loss is None else min(raw_loss, averaged_loss)
        self.serve_average = val_loss != raw_loss
        self.run.epoch += 1
        return EpochMetrics(
            epoch=self.run.epoch,
            step=self.run.step,
            train_loss=train_loss,
            val_loss=val_loss,
            val_perplexity=math.exp(min(val_loss, 50.0)),
            val_bpc=val_loss / math.log(2) if self.config.level == "char" else None,
            lr=self.schedule.get_last_lr()[0],
            tokens_per_s=tokens / max(seconds, 1e-9),
            epoch_seconds=seconds,
            val_loss_raw=raw_loss,
            val_loss_averaged=averaged_loss,
        )

    def _after_epoch(self, metrics: EpochMetrics) -> bool:
        """Record the epoch, checkpoint it, and say whether early stopping triggers."""
        self.run.history.append(metrics)
        improved = metrics.val_loss < self.run.best_val
        if improved:
            self.run.best_val, self.run.bad_epochs = metrics.val_loss, 0
        else:
            self.run.bad_epochs += 1
        stop = self.run.bad_epochs >= self.config.patience
        if not self.world.is_main:  # the ranks hold the same weights: one writes them
            return stop
        if improved:
            served = self.average.swapped_in() if self.serve_average else contextlib.nullcontext()
            with served:  # best.pt holds the weights that validated: averaged or raw
                save_checkpoint(self.out_dir / BEST, self._payload())
        save_checkpoint(self.out_dir / LAST, {**self._payload(), **self._resume_state()})
        write_history(self.out_dir, self.run.history)
        log.info(
            "epoch %d: train %.4f val %.4f (ppl %.2f)",
            metrics.epoch,
            metrics.train_loss,
            metrics.val_loss,
            metrics.val_perplexity,
        )
        if self.on_epoch:
            self.on_epoch(metrics)
        return stop

    def _payload(self) -> dict[str, Any]:
        return {
            "model_config": self.model.config.to_dict(),
            "tokenizer": self.tokenizer.to_dict(),
            "state_dict": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "train_config": self.config.to_dict(),
            "metrics": [m.to_dict() for m in self.run.history],
            "corpus_fingerprint": self.corpus.fingerprint,
            "corpus_words": self.corpus_words,
        }

    def _resume_state(self) -> dict[str, Any]:
        run = self.run
        return {
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "scaler": self.scaler.state_dict(),
            "average": self.average.state_dict(),
            "rng": capture_rng_state(),
            "run": {
                "epoch": run.epoch,
                "step": run.step,
                "best_val": run.best_val,
                "bad_epochs": run.bad_epochs,
                "lanes": self.lanes,  # to rescale the schedule on resume at another world size
            },
        }


def evaluate_loss(
    model: LyricsLSTM,
    data: torch.Tensor,
    seq_len: int,
    autocast: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> float:
    total, count = loss_sums(model, data, seq_len, autocast)
    return total / max(1, count)


def loss_sums(
    model: LyricsLSTM,
    data: torch.Tensor,
    seq_len: int,
    autocast: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> tuple[float, int]:
    """Summed cross-entropy and target count, which add up over ranks where means do not."""
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for inputs, targets in iterate_batches(data, seq_len):
            with autocast():
                logits, state = model(inputs, state)
            total += token_loss(logits, model.tokens_of(targets), reduction="sum").item()
            count += targets.numel()
    model.train(was_training)
    return total, count


def _with_overrides(saved: TrainConfig, given: TrainConfig) -> TrainConfig:
    """On resume, only the stopping rules may change: more epochs, a new time budget."""
    defaults = TrainConfig()
    epochs = given.epochs if given.epochs != defaults.epochs else saved.epochs
    return TrainConfig.from_dict(
        {**saved.to_dict(), "epochs": epochs, "max_minutes": given.max_minutes}
    ).resolved()


def train(
    corpus: Corpus,
    config: TrainConfig,
    out_dir: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    on_epoch: EpochCallback | None = None,
    world: World = SINGLE,
) -> TrainResult:
    """Train (or resume) a model on `corpus` into `out_dir`, as one rank of `world`."""
    trainer = Trainer(
        corpus, config, out_dir, resume=resume, progress=progress, on_epoch=on_epoch, world=world
    )
    return trainer.fit()
