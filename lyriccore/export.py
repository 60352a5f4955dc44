"""`lyriccore export`: a model's generation step as a file another runtime can serve.

- ONNX: the serving step's graph (step_graph.py), fp32 or int8 weights, run by onnxruntime;
  `lyriccore generate --runtime onnx` serves from it. The file names the checkpoint it was
  made from, and is refused for any other.
- TorchScript: the torch model's own step, traced, for runtimes that embed libtorch. torch
  marks `torch.jit` deprecated (in favour of `torch.export`, whose files need torch's Python
  to run); the tutorial's deployment advice names TorchScript, so it is kept while it works.

Either is written atomically, like a checkpoint. The seed is still read by the checkpoint's
torch model (it holds the tokenizer), so serving needs both files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import onnx
import torch
from torch import nn

from lyriccore.checkpoint import LoadedModel
from lyriccore.cpu_lstm import CpuLSTM
from lyriccore.errors import CheckpointError
from lyriccore.model import LyricsLSTM
from lyriccore.ort_step import OrtStep
from lyriccore.step_graph import step_graph
from lyriccore.styles import STYLE_STRENGTH

FORMATS = {"onnx": "step.onnx", "torchscript": "step.torchscript.pt"}


class TorchStep(nn.Module):
    """tokens (N,), h and c (L, N, H) → logits (N, V), h', c': `LyricsLSTM.step` as one call."""

    def __init__(self, model: LyricsLSTM) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, tokens: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        logits, (h_new, c_new) = self.model.step(tokens, (h, c))
        return logits, h_new, c_new


def default_path(loaded: LoadedModel, fmt: str) -> Path:
    """Beside the checkpoint, where `generate --runtime onnx` looks by default."""
    return loaded.path.parent / FORMATS[fmt]


def export_onnx(
    loaded: LoadedModel, out: Path, weights: str = "fp32", style_strength: float = STYLE_STRENGTH
) -> Path:
    """The serving step at `style_strength` (recorded in the file, and checked when it is
    served: the strength changes the text a seed writes)."""
    graph = step_graph(CpuLSTM(loaded.with_style_strength(style_strength).model), weights)
    graph.metadata_props.add(key="model_version", value=loaded.version)
    graph.metadata_props.add(key="style_strength", value=f"{_applied(loaded, style_strength):g}")
    _atomic(out, lambda tmp: onnx.save(graph, str(tmp)))
    return out


def export_torchscript(
    loaded: LoadedModel, out: Path, style_strength: float = STYLE_STRENGTH
) -> Path:
    """The serving step at `style_strength`, as `export_onnx` writes it."""
    config = loaded.config
    example = (
        torch.zeros(2, dtype=torch.long),
        torch.zeros(config.num_layers, 2, config.hidden_size),
        torch.zeros(config.num_layers, 2, config.hidden_size),
    )
    with _jit(), torch.no_grad():
        step = TorchStep(loaded.with_style_strength(style_strength).model)
        traced = torch.jit.trace(step.eval(), example)
        _atomic(out, lambda tmp: torch.jit.save(traced, str(tmp)))
    return out


def load_torchscript(path: Path) -> torch.jit.ScriptModule:
    with _jit():
        return torch.jit.load(str(path), map_location="cpu")


@contextlib.contextmanager
def _jit() -> Iterator[None]:
    """torch.jit warns that it is deprecated on every call: said once, in the module doc."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit", category=DeprecationWarning)
        yield


def onnx_step_for(
    loaded: LoadedModel, path: Path, style_strength: float = STYLE_STRENGTH
) -> OrtStep:
    """The exported step of exactly this checkpoint at this style strength: a file made
    otherwise is refused, since it would write other text under this model's version."""
    step = OrtStep(path)
    if step.version != loaded.version:
        raise CheckpointError(
            f"{path.name} was exported from {step.version or 'an unknown model'}, not "
            f"{loaded.version}: export it again"
        )
    if step.style_strength != _applied(loaded, style_strength):
        raise CheckpointError(
            f"{path.name} was exported at style strength {step.style_strength:g}, not "
            f"{style_strength:g}: export it again with --style-strength {style_strength:g}"
        )
    return step


def _applied(loaded: LoadedModel, style_strength: float) -> float:
    """The strength a model is served at: 1 for one that does not push styles."""
    return style_strength if loaded.pushes_styles else 1.0


def _atomic(out: Path, write: Callable[[Path], object]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        write(Path(name))
        os.replace(name, out)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
