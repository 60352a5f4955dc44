"""The loss curve of a model, as a PNG for /model."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def loss_curve_png(metrics: Sequence[Mapping[str, Any]], title: str) -> bytes:
    """Training and validation loss per epoch. Uses the object API (no pyplot state), so it is
    safe to call from worker threads."""
    epochs = [m["epoch"] for m in metrics]
    figure = Figure(figsize=(6, 3.5), dpi=100)
    axes = figure.subplots()
    axes.plot(epochs, [m["train_loss"] for m in metrics], label="training", marker=".")
    axes.plot(epochs, [m["val_loss"] for m in metrics], label="validation", marker=".")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss (nats/token)")
    axes.set_title(title)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
