"""The product kernels the serving step was chosen from, each as a call on one (O, K) matrix
and a (K, N) batch: what `bench weights` times at 1, 16 and 128 rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnxruntime as ort
import torch
from onnx import TensorProto, helper

from lyriccore.step_graph import OPSET, WEIGHTS, product_graph


def candidates(w: np.ndarray, x: np.ndarray) -> dict[str, Callable[[], object]]:
    """numpy fp32 (the reference step's), torch bf16 weights and activations through oneDNN
    (its output bf16, then widened), and onnxruntime fp32 / int8 (the served step's) / int4."""
    w_bf16, x_t = torch.from_numpy(w).bfloat16(), torch.from_numpy(x)
    rows = np.ascontiguousarray(x.T)
    kernels: dict[str, Callable[[], object]] = {
        "numpy_fp32": lambda: w @ x,
        "torch_bf16": lambda: torch.mm(w_bf16, x_t.bfloat16()).float(),
    }
    for name in WEIGHTS:
        session = _session(w, name)
        kernels[f"onnxruntime_{name}"] = lambda s=session: s.run(None, {"x": rows})
    return kernels


def _session(w: np.ndarray, weights: str) -> ort.InferenceSession:
    nodes, inits, out = product_graph("x", w, weights)
    k, o = w.shape[1], w.shape[0]
    graph = helper.make_graph(
        nodes,
        "product",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", k])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["rows", o])],
        inits,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    model = helper.make_model(graph, opset_imports=opsets)
    providers = ["CPUExecutionProvider"]
    return ort.InferenceSession(model.SerializeToString(), options, providers=providers)
