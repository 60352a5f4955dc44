"""The serving step run by onnxruntime, from a graph built in memory or an exported file.

One session per model, one intra-op thread (generation runs on one core by design: see
`Generator`), shared by every batch thread: `InferenceSession.run` is thread-safe. The state
stays a `CpuState`, updated in place like the numpy step's, so the batch, best-of-K forking
(rowstore.py) and the fp32 reference path all see one layout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from lyriccore.cpu_lstm import CpuState
from lyriccore.errors import CheckpointError


class OrtStep:
    """A `StepModel` over an ONNX step graph (lyriccore/step_graph.py's inputs and outputs)."""

    def __init__(self, model: onnx.ModelProto | Path) -> None:
        proto = model if isinstance(model, onnx.ModelProto) else _read(model)
        props = {p.key: p.value for p in proto.metadata_props}
        try:
            self.layers, self.hidden = int(props["layers"]), int(props["hidden"])
        except (KeyError, ValueError) as exc:
            raise CheckpointError("this ONNX file is not a lyriccore step") from exc
        self.weights = props.get("weights", "fp32")
        self.version = props.get("model_version", "")
        self.style_strength = float(props.get("style_strength", "1"))  # files made before it: 1
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._session = ort.InferenceSession(
            proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        self.vocab = int(proto.graph.output[0].type.tensor_type.shape.dim[1].dim_value)
        self._outputs = [output.name for output in self._session.get_outputs()]  # asked once

    def initial_state(self, rows: int) -> CpuState:
        return CpuState.zeros(self.layers, self.hidden, rows)

    def step(self, tokens: np.ndarray, state: CpuState) -> np.ndarray:
        """Feed one token per row, updating `state` in place; returns (rows, V) logits."""
        feeds = {"tokens": state.inputs(tokens), "h": state.h, "c": state.c}
        logits, h, c = self._session.run(self._outputs, feeds)
        np.copyto(state.h, h)
        np.copyto(state.c, c)
        return logits


def _read(path: Path) -> onnx.ModelProto:
    if not path.is_file():
        raise CheckpointError(f"no ONNX step at {path}: run `lyriccore export --format onnx`")
    try:
        return onnx.load(str(path))
    except Exception as exc:  # untrusted bytes: protobuf fails in many ways, all "corrupt"
        raise CheckpointError(f"{path.name} is not a readable ONNX file") from exc
