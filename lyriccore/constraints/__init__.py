"""Decoding constraints that compose, after HF transformers' LogitsProcessor.

Each constraint is one small function of a row's `LineTracker` (its per-row state, forked,
selected and joined with the row) and the row's `LineGoal`, returning which tokens the row
may take next. `RowConstraints` applies them in a fixed order — allowed words, then the
line's ending — to numpy logits, so the batched path and the plain torch path mask alike.
"""
