"""`torchrun --nproc-per-node N -m bench.allreduce NUMEL`: how long one all-reduce of NUMEL
fp32 gradients takes over gloo, which is what DistributedDataParallel adds to every step on
CPUs (the model's gradients fit in one of its 25 MB buckets). Rank 0 prints one JSON line.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import torch
from torch import distributed as dist

WARMUP, REPEATS = 5, 40


def main() -> int:
    numel = int(sys.argv[1])
    dist.init_process_group("gloo")
    grads = torch.ones(numel)
    for _ in range(WARMUP):
        dist.all_reduce(grads)
    times = []
    for _ in range(REPEATS):
        dist.barrier()
        started = time.perf_counter()
        dist.all_reduce(grads)
        times.append((time.perf_counter() - started) * 1000)
    if dist.get_rank() == 0:
        summary = {"numel": numel, "ms_median": statistics.median(times), "ms_min": min(times)}
        print(json.dumps({**summary, "ranks": dist.get_world_size()}), flush=True)
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
