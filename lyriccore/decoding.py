"""One request's decoding: its rows, settings and random generator, stepped from outside.

Both serving paths drive the same object — the numpy batch (batcher.py), where the rows of
many requests sit side by side, and the plain torch path (reference.py) — so a seed writes the
same text on either: the same draws in the same order, the same masks, the same line choices.
A step is: `constrain` the logits, `knobs` + `uniforms` to choose, `push` the tokens, feed
the model, then `after_step` (where best-of-K forks rows).
"""

from __future__ import annotations

import numpy as np

from lyriccore.checkpoint import LoadedModel
from lyriccore.lines import LineChooser
from lyriccore.rowstore import RowStore
from lyriccore.sampling import RowKnobs, SamplingParams, temperature_at
from lyriccore.seeds import PreparedSeed
from lyriccore.streams import Output, Stream, finish_text


class Decoding:
    def __init__(self, loaded: LoadedModel, seed: PreparedSeed, params: SamplingParams) -> None:
        self.params = params
        self.rows = params.samples * params.best_of
        self.rng = np.random.default_rng(params.rng_seed)
        self.streams = [Stream(loaded.tokenizer, seed.text, params) for _ in range(self.rows)]
        self.knobs = RowKnobs.of(params, self.rows)
        self._newline = loaded.tokenizer.id_of("\n")
        self._every_row = np.ones(self.rows, bool)  # what free sampling steps, every time
        self.lines = (
            LineChooser(loaded, seed, params, self.streams) if params.shapes_lines else None
        )
        self.anneal()

    def anneal(self) -> None:
        if self.params.anneal_to is not None:
            self.knobs.temperature = np.array(
                [temperature_at(self.params, s.progress) for s in self.streams], np.float32
            )

    def uniforms(self) -> np.ndarray:
        return self.rng.random(self.rows)

    def constrain(self, logits: np.ndarray) -> None:
        """Mask this request's (rows, V) logits in place. Free sampling is held to one song:
        after a blank line, no second one (two mark the next song, which a model with styles
        would start with a style token it may not write); without stanza breaks, no blank
        line at all."""
        if self.lines is not None:
            self.lines.constrain(logits)
        elif self._newline is not None:
            most = 2 if self.params.stanza_breaks else 1
            for row, stream in enumerate(self.streams):
                if stream.newlines >= most:
                    logits[row, self._newline] = -np.inf

    def push(self, tokens: list[int]) -> bool:
        """Append one token to each row; True once the request is done."""
        if self.lines is not None:
            return self.lines.push(tokens)
        for stream, token in zip(self.streams, tokens, strict=True):
            stream.push(token)
        return all(s.done for s in self.streams)

    def stepping(self) -> np.ndarray:
        """Which rows the model must be fed this step."""
        if self.lines is None:
            return self._every_row
        return self.lines.stepping()

    def after_step(self, store: RowStore) -> None:
        if self.lines is not None:
            self.lines.after_step(store)

    def progress(self) -> tuple[int, str]:
        """The first sample's whole lines so far, and how many there are: what streaming
        shows. With best of K only the kept lines count, never a candidate still writing."""
        if self.lines is not None:
            return self.lines.progress()
        stream = self.streams[0]
        return stream.lines_done, stream.text[: stream.text.rfind("\n") + 1]

    def outputs(self) -> list[Output]:
        streams = self.streams if self.lines is None else self.lines.finished_streams()
        return [finish_text(s) for s in streams]

    def recent(self, width: int) -> list[list[int]]:
        """Each row's last tokens inside its penalty window, -1 padded to `width`."""
        if self.params.repetition_penalty == 1.0:
            return [[-1] * width for _ in self.streams]
        window = self.params.repetition_window
        return [
            [-1] * (width - len(r)) + r for r in (s.ids[-window:][-width:] for s in self.streams)
        ]

    def recent_width(self) -> int:
        return max(min(len(s.ids), self.params.repetition_window) for s in self.streams)
