"""Starting a training module on several ranks through PyTorch's own launcher, torchrun.

lyricbot builds no launcher of its own: this only writes torchrun's command line. On one
machine that is `python -m torch.distributed.run --standalone` (torchrun from the running
interpreter, so the same environment; `--standalone` picks a free rendezvous port, so several
runs on one machine never meet); on a cluster an operator's launcher command (torchrun with
`--nnodes` and a c10d rendezvous, or srun wrapping it) takes its place.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence

from lyriccore.errors import ConfigError


def local_launcher() -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone"]


def torchrun_command(
    nproc: int, module: str, args: Sequence[str], launcher: str | None = None
) -> list[str]:
    """`launcher --nproc-per-node N -m module args…`; `launcher` is a shell-style command
    line (None: torchrun on this machine alone)."""
    start = shlex.split(launcher) if launcher else local_launcher()
    return [*start, "--nproc-per-node", str(nproc), "-m", module, *args]


def without_option(argv: Sequence[str], option: str) -> list[str]:
    """`argv` minus `option` and its value (`--nproc 2` or `--nproc=2`)."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == option:
            skip = True
        elif not arg.startswith(f"{option}="):
            kept.append(arg)
    return kept


def exec_torchrun(nproc: int, module: str, args: Sequence[str]) -> None:
    """Replace this process by torchrun running `module` on `nproc` local ranks; never
    returns. Refused inside a rank, where it would start ranks of ranks."""
    if "WORLD_SIZE" in os.environ:
        raise ConfigError("--nproc starts torchrun; a process started by torchrun takes none")
    command = torchrun_command(nproc, module, args)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)
