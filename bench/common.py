"""What every benchmark shares: sizes, the data file, timing statistics, machine facts, JSON."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch

from lyriccore.corpus import Corpus, join_documents, split_songs

T = TypeVar("T")
DATA_FILE = "tinyshakespeare.txt"
# bench/common.py → parents[2] is the folder that holds the repository (/work for /work/main).
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


class BenchError(Exception):
    """A known problem (missing data, bad option) reported as one line, exit status 2."""


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark is, and the time caps that keep a busy machine from stretching
    the run; `quick()` shrinks everything for a smoke run."""

    char_chars: int = 500_000
    char_rounds: int = 3
    char_cap_s: float = 40.0
    word_words: int = 100_000
    word_cap_s: float = 50.0
    curve_epochs: int = 6
    quality_chars: int | None = None  # None: the whole data file
    quality_minutes: float = 10.0
    quality_epochs: int = 16  # what the default char recipe trains in ~9.5 min here
    cross_epochs: int = 30  # the cross-style section plans as `lyriccore train` does
    tutorial_batches: int = 20
    tutorial_warmup: int = 2
    tutorial_cap_s: float = 15.0
    gen_tokens: int = 2000
    gen_word_tokens: int = 600
    gen_repeats: int = 3
    weights_hidden: int = 512  # the serving-weights models: the default shapes
    latency_requests: int = 20
    plain_checks: int = 20
    concurrency: tuple[int, ...] = (1, 16, 32, 64)
    latency_users: tuple[int, ...] = (1, 16)
    latency_rounds: int = 10
    retrain_minutes: float = 3.0
    song_seeds: int = 16
    style_minutes: float = 4.0  # the starter recipe's own budget
    style_samples: int = 4  # per style and seed (four seeds)
    bandit_runs: int = 100
    bandit_picks: int = 1000
    # (ranks, threads per rank) of the ddp section on a CPU host
    ddp_runs: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1))

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            char_chars=40_000,
            char_rounds=1,
            char_cap_s=8.0,
            word_words=6_000,
            word_cap_s=8.0,
            curve_epochs=2,
            quality_chars=40_000,
            quality_minutes=0.1,
            quality_epochs=2,
            cross_epochs=1,
            tutorial_batches=3,
            tutorial_warmup=1,
            tutorial_cap_s=4.0,
            gen_tokens=200,
            gen_word_tokens=60,
            gen_repeats=1,
            weights_hidden=64,
            latency_requests=3,
            plain_checks=2,
            concurrency=(1, 4),
            latency_users=(2,),
            latency_rounds=2,
            retrain_minutes=0.5,
            song_seeds=2,
            style_minutes=0.1,
            style_samples=1,
            bandit_runs=5,
            bandit_picks=300,
            ddp_runs=((2, 1),),  # only that two ranks run
        )


@dataclass(frozen=True)
class Context:
    """Everything a benchmark needs: the sizes, the raw text and a scratch folder."""

    sizes: Sizes
    text: str
    data_path: Path
    work_dir: Path
    train_threads: int | None = None  # None: the engine's default (all cores)


def read_data(data_dir: Path) -> tuple[Path, str]:
    path = Path(data_dir) / DATA_FILE
    if not path.is_file():
        raise BenchError(
            f"{DATA_FILE} not found in {data_dir}: pass --data-dir DIR, the folder that holds it"
        )
    return path, path.read_text(encoding="utf-8")


def make_corpus(text: str, source: str, *, lowercase: bool = False) -> Corpus:
    """Normalise `text` exactly as `load_corpus` does for a .txt file."""
    joined, count = join_documents(split_songs(text), lowercase=lowercase)
    if not joined:
        raise BenchError(f"{source} holds no text")
    return Corpus(joined, count, (source,), lowercase)


def first_words(text: str, count: int) -> str:
    """The text up to the end of its `count`-th whitespace-separated word."""
    end = len(text)
    for number, match in enumerate(re.finditer(r"\S+", text), start=1):
        if number == count:
            end = match.end()
            break
    return text[:end]


def chars_per_line(text: str) -> float:
    """Mean length of the non-empty lines of `text`."""
    lines = [line for line in text.split("\n") if line.strip()]
    return sum(len(line) for line in lines) / max(1, len(lines))


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default), q in [0, 100]."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Run `fn` once; return its result and the wall-clock seconds it took."""
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run a block with `count` intra-op threads (None: leave as is), restoring them after:
    `Generator(threads=...)` and `TrainConfig.threads` change a process-wide setting."""
    previous = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _busy_cpu_seconds() -> float | None:
    """CPU seconds all processes on the machine have run since boot (Linux /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    """This process's CPU time plus that of the children it has reaped."""
    return sum(os.times()[:4])


class Contention:
    """How much CPU other processes took while a benchmark ran, in cores (0 on a quiet
    machine, 1.0 when another job kept one core busy): the machine's busy time minus this
    process's CPU time and its finished children's (the bot process of the serving section,
    with its training worker), over the wall time. Other processes skew every figure, and
    torch's multi-threaded kernels suffer far more than in proportion."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.busy = _busy_cpu_seconds()
        self.own = _own_cpu_seconds()

    def report(self) -> dict[str, float | None]:
        wall = time.perf_counter() - self.wall
        busy = _busy_cpu_seconds()
        others = None
        if busy is not None and self.busy is not None and wall > 0:
            own = _own_cpu_seconds() - self.own
            others = max(0.0, (busy - self.busy - own) / wall)
        return {"other_processes_cores": others, "load_1m_after": os.getloadavg()[0]}


def others_now(seconds: float = 1.0) -> float | None:
    """Cores other processes are using right now, sampled over `seconds` while we sleep."""
    watch = Contention()
    time.sleep(seconds)
    return watch.report()["other_processes_cores"]


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "bf16_kernels": torch.backends.mkldnn.is_available(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def rounded(value: Any, digits: int = 4) -> Any:
    """Round floats to `digits` significant figures, recursively, for a readable report."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    return value


def write_report(report: dict[str, Any], path: Path) -> str:
    """Write the report atomically and return its JSON text."""
    text = json.dumps(rounded(report), indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return text
