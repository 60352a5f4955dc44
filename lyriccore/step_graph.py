"""The serving step as an ONNX graph, in fp32 or with int8 weights: one call per step.

The graph is built from `CpuLSTM`'s arranged weights (gates i, f, o, g with the sigmoid rows
halved, layer 0's lookup table, each upper layer's joined matrix), so it computes what the
numpy step computes, and it takes and returns the state in `CpuState`'s column-major layout:
the batch hands either step the same arrays. One `InferenceSession.run` per step keeps the
Python overhead of a step to one call, which is what a one-row step is made of.

int8 weights (`weights="int8"`) go through onnxruntime's `MatMulNBits` (8 bits, one scale per
output channel, symmetric; `int4`: 4 bits, one scale per 32 inputs, measured but not served:
slower here) at accuracy level 4: each row of activations is quantised to int8 with its own
scale, the products are exact integer sums, then scaled back to fp32. A row's
numbers therefore depend on that row alone, never on its neighbours in the batch; the state
(h, c) and everything between the products stay fp32. Why this kernel and not torch's bf16
or numpy: bench/README.md "Serving weights" (it was the fastest at 1, 16 and 128 rows here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from lyriccore.cpu_lstm import CpuLSTM

OPSET = 17
WEIGHTS = ("fp32", "int8", "int4")
BITS = {"int8": 8, "int4": 4}
INT4_BLOCK = 32  # inputs per 4-bit scale: at 128 a trained 2×256 lost 0.45 % NLL, at 32 0.07 %
ACCURACY_INT8 = 4  # MatMulNBits: int8 activations (per row), int32 sums


@dataclass
class _Graph:
    """Nodes and initialisers being gathered, with fresh names for intermediate values."""

    weights: str
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    inits: list[onnx.TensorProto] = field(default_factory=list)
    count: int = 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, array: np.ndarray, hint: str) -> str:
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def op(self, kind: str, inputs: list[str], hint: str, **attrs: Any) -> str:
        out = self.name(hint)
        domain = "com.microsoft" if kind == "MatMulNBits" else ""
        self.nodes.append(helper.make_node(kind, inputs, [out], domain=domain, **attrs))
        return out

    def linear(self, x: str, w: np.ndarray, hint: str) -> str:
        """x (N, K) @ w.T for w (O, K): fp32 MatMul, or MatMulNBits (`quantise_blocks`)."""
        if self.weights == "fp32":
            return self.op("MatMul", [x, self.const(np.ascontiguousarray(w.T), hint)], hint)
        bits = BITS[self.weights]
        packed, scales, block = quantise_blocks(w, bits)
        out, k = w.shape
        inputs = [x, self.const(packed, f"{hint}_q"), self.const(scales, f"{hint}_s")]
        return self.op(
            "MatMulNBits", inputs, hint, K=k, N=out, bits=bits, block_size=block,
            accuracy_level=ACCURACY_INT8,
        )  # fmt: skip

    def slice(self, x: str, start: int, stop: int, axis: int) -> str:
        ends = [self.const(np.array([v], np.int64), "at") for v in (start, stop, axis)]
        return self.op("Slice", [x, *ends], "slice")


def product_graph(
    x: str, w: np.ndarray, weights: str
) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto], str]:
    """One product x @ w.T as nodes, initialisers and its output's name: the unit the
    benchmark times candidate kernels by (bench/weights_kernels.py)."""
    g = _Graph(weights)
    out = g.linear(x, w, "w")
    return g.nodes, g.inits, out


def quantise_blocks(w: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Symmetric quantisation in MatMulNBits' layout, (O, blocks, block·bits/8) uint8 with the
    zero point (128 or 8) implied: 8 bits with one scale per output row (one block, the row
    padded with zeros to a power of two), 4 bits with one scale per `INT4_BLOCK` inputs, two
    values a byte, the first in the low half."""
    out, k = w.shape
    block = max(16, 1 << (k - 1).bit_length()) if bits == 8 else INT4_BLOCK
    blocks = -(-k // block)
    padded = np.zeros((out, blocks * block), np.float32)
    padded[:, :k] = w
    grouped = padded.reshape(out, blocks, block)
    limit = (1 << (bits - 1)) - 1  # 127 or 7: -limit..limit, symmetric about the zero point
    scales = np.maximum(np.abs(grouped).max(axis=2), np.finfo(np.float32).tiny) / limit
    q = (np.clip(np.rint(grouped / scales[..., None]), -limit, limit) + limit + 1).astype(np.uint8)
    if bits == 4:
        q = q[..., 0::2] | (q[..., 1::2] << 4)
    return q, scales.reshape(-1).astype(np.float32), block


def step_graph(cpu: CpuLSTM, weights: str) -> onnx.ModelProto:
    """tokens (N,) as input ids (model.py), h (L·H, N), c (L, H, N) → logits (N, V), h', c'
    (same layouts)."""
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}, not {weights!r}")
    g, hidden, layers = _Graph(weights), cpu.hidden, cpu.layers
    slot = _slots(g, cpu) if cpu.styled else ""  # each row's style, once for every use
    h_rows = g.op("Transpose", ["h"], "h_rows", perm=[1, 0])  # (N, L·H)
    c_rows = g.op("Transpose", ["c"], "c_rows", perm=[0, 2, 1])  # (L, N, H)
    new_h: list[str] = []
    new_c: list[str] = []
    for layer in range(layers):
        h_old = g.slice(h_rows, layer * hidden, (layer + 1) * hidden, axis=1)
        if layer == 0:
            input_side = _input_side(g, cpu, slot)
            gates = g.op("Add", [input_side, g.linear(h_old, cpu.w[0], "w_hh0")], "g0")
        else:
            joined = g.op("Concat", [new_h[-1], h_old], "joined", axis=1)  # (N, 2H)
            product = g.linear(joined, cpu.w[layer], f"w{layer}")
            gates = g.op("Add", [product, g.const(cpu.b[layer][:, 0], f"b{layer}")], "gates")
            if cpu.style_gates:
                table = g.const(cpu.style_gates[layer - 1], f"style_gates{layer}")
                style = g.op("Gather", [table, slot], "style_gates", axis=0)
                gates = g.op("Add", [gates, style], "styled_gates")
        c_old = g.op("Squeeze", [g.slice(c_rows, layer, layer + 1, 0), _axis(g, 0)], "c_old")
        h_new, c_new = _cell(g, gates, c_old, hidden)
        new_h.append(h_new)
        new_c.append(g.op("Unsqueeze", [c_new, _axis(g, 0)], "c_new"))
    logits = g.linear(new_h[-1], cpu.head_w, "head")
    if cpu.style_head is not None:
        table = g.const(cpu.style_head, "style_head")
        style = g.op("Gather", [table, slot], "style_logits", axis=0)
        logits = g.op("Add", [logits, style], "styled_logits")
    head_b = g.const(cpu.head_b[:, 0], "head_b")
    g.nodes.append(helper.make_node("Add", [logits, head_b], ["logits"]))
    h_all = g.op("Concat", new_h, "h_all", axis=1)
    g.nodes.append(helper.make_node("Transpose", [h_all], ["h_out"], perm=[1, 0]))
    c_all = g.op("Concat", new_c, "c_all", axis=0)
    g.nodes.append(helper.make_node("Transpose", [c_all], ["c_out"], perm=[0, 2, 1]))
    return _model(g, cpu)


def _input_side(g: _Graph, cpu: CpuLSTM, slot: str) -> str:
    """Layer 0's input side with both biases: a row of the table, or (embedding + style
    vector) @ W_ih; "tokens" are input ids, styles folded in, `slot` their styles."""
    if cpu.table is not None:
        return g.op("Gather", [g.const(cpu.table, "table"), "tokens"], "looked_up", axis=0)
    tokens = "tokens"
    if cpu.styles is not None:  # input ids = token + V × style slot (model.py)
        vocab = g.const(np.array(cpu.vocab, np.int64), "vocab")
        tokens = g.op("Mod", [tokens, vocab], "token")
    embedded = g.op("Gather", [g.const(cpu.embed, "embed"), tokens], "embedded", axis=0)
    if cpu.styles is not None:
        style = g.op("Gather", [g.const(cpu.styles, "styles"), slot], "style", axis=0)
        embedded = g.op("Add", [embedded, style], "styled")
    product = g.linear(embedded, cpu.w_in, "w_ih0")
    return g.op("Add", [product, g.const(cpu.b[0][:, 0], "b0")], "input_side")


def _slots(g: _Graph, cpu: CpuLSTM) -> str:
    """Each row's style slot, from its input id (token + V × slot)."""
    return g.op("Div", ["tokens", g.const(np.array(cpu.vocab, np.int64), "vocab")], "slot")


def _cell(g: _Graph, gates: str, c_old: str, hidden: int) -> tuple[str, str]:
    """One tanh over all gates; sigmoid(x) = ½·tanh(x/2) + ½ (the rows are already halved)."""
    squashed = g.op("Tanh", [gates], "tanh")
    half = g.const(np.array(0.5, np.float32), "half")
    sig = g.op("Add", [g.op("Mul", [g.slice(squashed, 0, 3 * hidden, 1), half], "m"), half], "s")
    i, f, o = (g.slice(sig, n * hidden, (n + 1) * hidden, 1) for n in range(3))
    cand = g.slice(squashed, 3 * hidden, 4 * hidden, 1)
    c_new = g.op("Add", [g.op("Mul", [f, c_old], "fc"), g.op("Mul", [i, cand], "ig")], "c")
    return g.op("Mul", [o, g.op("Tanh", [c_new], "tc")], "h"), c_new


def _axis(g: _Graph, axis: int) -> str:
    return g.const(np.array([axis], np.int64), "axis")


def _model(g: _Graph, cpu: CpuLSTM) -> onnx.ModelProto:
    state = cpu.layers * cpu.hidden
    f32 = TensorProto.FLOAT
    inputs = [
        helper.make_tensor_value_info("tokens", TensorProto.INT64, ["rows"]),
        helper.make_tensor_value_info("h", f32, [state, "rows"]),
        helper.make_tensor_value_info("c", f32, [cpu.layers, cpu.hidden, "rows"]),
    ]
    outputs = [
        helper.make_tensor_value_info("logits", f32, ["rows", cpu.vocab]),
        helper.make_tensor_value_info("h_out", f32, [state, "rows"]),
        helper.make_tensor_value_info("c_out", f32, [cpu.layers, cpu.hidden, "rows"]),
    ]
    graph = helper.make_graph(g.nodes, "lyriccore_step", inputs, outputs, g.inits)
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="lyriccore")
    helper.set_model_props(
        model, {"layers": str(cpu.layers), "hidden": str(cpu.hidden), "weights": g.weights}
    )
    return model
