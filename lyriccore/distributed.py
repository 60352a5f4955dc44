"""The few places where training on several processes differs from training on one.

torchrun starts one process per rank and tells each its place through the environment (RANK,
WORLD_SIZE, LOCAL_RANK); a process started any other way is a world of one, and every method
here is then a no-op, so the trainer reads the same with or without DistributedDataParallel.
Ranks talk over gloo on CPUs and NCCL on GPUs, chosen from the device.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import distributed as dist
from torch import nn
from torch.distributed.rendezvous import rendezvous
from torch.nn.parallel import DistributedDataParallel

from lyriccore.errors import ConfigError
from lyriccore.seeding import seed_everything

RANK_SEED_STRIDE = 7919  # a prime: rank r's dropout seed, seed + r·stride, meets no other run's


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    restarts: int = 0  # how often torchrun has restarted this run's workers after a failure

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes checkpoints and reports; the others only compute."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def device(self, requested: str) -> torch.device:
        """One GPU per rank on its node (cuda:LOCAL_RANK), made current before the model is
        built so that nothing lands on GPU 0 by default; on CPUs every rank shares the host."""
        wants_cuda = requested.startswith("cuda") or (
            requested == "auto" and torch.cuda.is_available()
        )
        if not self.distributed or not wants_cuda:
            return pick_device(requested)
        if not torch.cuda.is_available():
            raise ConfigError("device 'cuda' requested but no CUDA GPU is available")
        device = torch.device("cuda", self.local_rank)
        torch.cuda.set_device(device)
        return device

    def split_seeds(self, seed: int, epoch: int) -> None:
        """Give each rank its own dropout masks (identical masks would make the ranks' columns
        see the same noise); rank 0 keeps the single-process stream, so one rank trains
        exactly as a plain run does. Called after the model is built, whose weights every rank
        draws from the same seed, and again after a resume has restored rank 0's RNG state."""
        if self.rank:
            seed_everything(seed + RANK_SEED_STRIDE * self.rank + epoch)

    def columns(self, lanes: torch.Tensor) -> torch.Tensor:
        """(world·B, N) lanes → this rank's (B, N): a contiguous block of the stream, so every
        rank runs the same number of steps and its carried state follows its own text."""
        per_rank = lanes.size(0) // self.size
        return lanes[self.rank * per_rank : (self.rank + 1) * per_rank]

    def wrap(self, module: nn.Module, device: torch.device) -> nn.Module:
        """DistributedDataParallel around `module` (which broadcasts rank 0's weights, and
        averages gradients in backward); the module itself in a world of one."""
        if not self.distributed:
            return module
        device_ids = [device.index] if device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=device_ids)

    def agree(self, decision: bool, device: torch.device) -> bool:
        """Rank 0's decision on every rank, so that all stop at the same step: a rank that
        stopped alone would leave the others waiting in a collective for ever."""
        if not self.distributed:
            return decision
        flag = torch.tensor([int(decision)], device=device)
        dist.broadcast(flag, src=0)
        return bool(flag.item())

    def sum(self, values: Sequence[float], device: torch.device) -> list[float]:
        """Element-wise sums over the ranks (in float64: token counts exceed fp32's 2^24)."""
        if not self.distributed:
            return list(values)
        total = torch.tensor(list(values), dtype=torch.float64, device=device)
        dist.all_reduce(total)
        return [float(v) for v in total.tolist()]

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def clear(self, folder: Path) -> None:
        """Remove a run folder that cannot be continued: rank 0 removes it while the others
        wait, so none of them reads a half-removed folder."""
        if self.is_main:
            shutil.rmtree(folder)
        self.barrier()


SINGLE = World()


def pick_device(requested: str) -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' requested but no CUDA GPU is available")
    return torch.device(requested)


def world_from_environment() -> World:
    """The place torchrun gave this process; a world of one without torchrun."""
    if "WORLD_SIZE" not in os.environ:
        return SINGLE
    return World(
        rank=int(os.environ["RANK"]),
        size=int(os.environ["WORLD_SIZE"]),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        restarts=int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")),
    )


def backend_for(requested: str) -> str:
    """NCCL when the ranks train on GPUs, gloo on CPUs."""
    cuda = requested.startswith("cuda") or (requested == "auto" and torch.cuda.is_available())
    return "nccl" if cuda else "gloo"


def attempt_store(world: World) -> dist.Store:
    """torchrun's store for this attempt's keys alone. Its agent keeps one store across the
    restarts of `--max-restarts`, and the default `env://` set-up writes every attempt's
    rank addresses under the same keys: a restarted rank could read the address of a rank that
    died with the last attempt and fail to connect ("Connection refused", seen once in seven
    restarts on a loaded machine)."""
    store, _, _ = next(rendezvous("env://", world.rank, world.size))
    return dist.PrefixStore(f"lyriccore/attempt-{world.restarts}", store)


@contextlib.contextmanager
def joined_world(requested_device: str) -> Iterator[World]:
    """Join torchrun's process group for the block (nothing to join in a world of one), and
    leave it afterwards so that no rank exits while another still waits on it."""
    world = world_from_environment()
    if not world.distributed:
        yield world
        return
    if backend_for(requested_device) == "nccl":
        world.device(requested_device)  # set_device before NCCL binds a communicator
    dist.init_process_group(
        backend_for(requested_device), store=attempt_store(world), rank=world.rank,
        world_size=world.size,
    )  # fmt: skip
    try:
        yield world
    finally:
        dist.destroy_process_group()
