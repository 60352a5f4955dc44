"""Decoding constraints that compose, after HF transformers' LogitsProcessor.

Each constraint (`allowed_words`, `line_ending`) is one module with one function of a row's
`LineTracker` (its per-row state, forked, selected and joined with the row) and the row's
`RowGoal`, returning which tokens the row may take next. `rows.RowConstraints` applies them
in a fixed order to numpy logits, so the batched path and the plain torch path mask alike.
"""
