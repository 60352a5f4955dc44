"""Training into a folder that nothing serves until the run has finished.

A model folder that exists is taken for a finished model: `lyriccore starter` skips training
when it finds one, and the bot serves it. So a run trains in a hidden staging folder beside its
destination, continues there after a crash or a restart, and is renamed into place in one step
once it ends. A kill at any moment leaves either no model or a finished one, never a partial
one that looks finished.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from lyriccore.checkpoint import LAST
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus
from lyriccore.distributed import SINGLE, World
from lyriccore.errors import CheckpointError, CorpusError
from lyriccore.history import EpochMetrics
from lyriccore.trainer import TrainResult, train

log = logging.getLogger(__name__)
STAGING = ".staging"


def staging_for(out: Path) -> Path:
    """Where the model destined for `out` trains: `.staging/<name>` beside it, which the
    registry never lists."""
    return out.parent / STAGING / out.name


def train_resumably(
    corpus: Corpus,
    config: TrainConfig,
    out_dir: Path,
    *,
    progress: bool = True,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    world: World = SINGLE,
) -> TrainResult:
    """Continue the run in `out_dir` if one is there; start afresh if there is none, or if it
    cannot be continued (another corpus, an unreadable checkpoint): such a run could only be
    thrown away. Every rank of `world` takes the same branch: they read the same files."""
    if (out_dir / LAST).exists():
        try:
            log.info("continuing the unfinished run in %s", out_dir)
            return train(
                corpus, config, out_dir, resume=True, progress=progress, on_epoch=on_epoch,
                world=world,
            )  # fmt: skip
        except (CorpusError, CheckpointError) as exc:
            log.warning("cannot continue the run in %s (%s); starting afresh", out_dir, exc)
            world.clear(out_dir)
    return train(corpus, config, out_dir, progress=progress, on_epoch=on_epoch, world=world)


def adopt(staged: Path, out: Path) -> None:
    """Move a finished run to its destination in one rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, out)
