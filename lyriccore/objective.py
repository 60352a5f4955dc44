"""The training loss as a module, so that DistributedDataParallel can wrap it.

DDP averages gradients only for computation that runs through the forward of the module it
wraps; the trainer needs the last layer's raw output as well as the logits (for AR and TAR),
so the whole loss, not just the language model, is that forward.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from lyriccore.model import LyricsLSTM, State


class Objective(nn.Module):
    """Cross-entropy, plus AR (large activations) and TAR (fast-changing hidden states)
    penalties on the last layer's output when their weights are above zero."""

    def __init__(self, model: LyricsLSTM, ar: float, tar: float) -> None:
        super().__init__()
        self.model = model
        self.ar, self.tar = ar, tar

    def forward(
        self, inputs: torch.Tensor, targets: torch.Tensor, state: State | None
    ) -> tuple[torch.Tensor, State]:
        raw, new_state = self.model.features(inputs, state)  # (T, B, H)
        dropped = self.model.drop_output(raw)
        loss = token_loss(self.model.logits(dropped, inputs), self.model.tokens_of(targets))
        if self.ar > 0:
            loss = loss + self.ar * dropped.float().pow(2).mean()
        if self.tar > 0 and raw.size(0) > 1:  # an epoch's last window can be one step long
            loss = loss + self.tar * (raw[1:] - raw[:-1]).float().pow(2).mean()
        return loss, new_state


def token_loss(
    logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    """Cross-entropy of (B, T, V) logits against (B, T) targets, taken time-major: the model's
    logits are a batch-first view of time-major ones, so this order flattens without a copy."""
    flat = logits.transpose(0, 1).flatten(0, 1).float()  # (T·B, V)
    return F.cross_entropy(flat, targets.t().flatten(), reduction=reduction)
