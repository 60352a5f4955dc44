"""One output stream's bookkeeping: its text so far, its lines, and when it is done.

Lines are what a listener counts: a line is done when a newline ends it and it held text, so
stanza breaks do not use up the line budget. A seed that ends mid-line is the first line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from lyriccore.sampling import SamplingParams
from lyriccore.tokenizer import Tokenizer


@dataclass(frozen=True)
class Output:
    text: str
    tokens: int


class Stream:
    def __init__(self, tokenizer: Tokenizer, seed_text: str, params: SamplingParams) -> None:
        self.tokenizer = tokenizer
        self.params = params
        self.ids: list[int] = []
        self.text = ""
        self.lines_done = 0
        self.line_has_text = bool(seed_text.strip()) and not seed_text.endswith("\n")
        self.newlines = len(seed_text) - len(seed_text.rstrip("\n"))  # in a row, at the end
        pieces = tokenizer.split(seed_text)
        self.previous = pieces[-1] if pieces else "\n"
        self.done = False

    @property
    def progress(self) -> float:
        """How far through its budget the stream is (0 → 1), for temperature annealing."""
        if self.params.lines:
            return self.lines_done / self.params.lines
        return len(self.ids) / self.params.max_tokens

    def copy(self) -> Stream:
        """An independent copy, for best-of-K lines' forking."""
        child = copy.copy(self)
        child.ids = list(self.ids)
        return child

    def fork(self, token: int) -> Stream:
        """A copy of this stream with `token` appended, for beam search's branching."""
        child = self.copy()
        child.push(token)
        return child

    def push(self, token: int) -> None:
        if self.done:
            return
        self.ids.append(token)
        if token >= self.tokenizer.reserved:
            self._append(self.tokenizer.tokens[token])
        if len(self.ids) >= self.params.max_tokens:
            self.done = True

    def _append(self, piece: str) -> None:
        before = len(self.text)
        self.text += self.tokenizer.glue(self.previous, piece)
        self.previous = piece
        if piece == "\n":
            if self.line_has_text:
                self.lines_done += 1
            self.line_has_text = False
            self.newlines += 1
        elif piece.strip():
            self.line_has_text = True
            self.newlines = 0
        if self.params.lines and self.lines_done >= self.params.lines:
            self.done = True
        stop = self.params.stop
        if stop:
            at = self.text.find(stop, max(0, before - len(stop)))
            if at >= 0:
                self.text = self.text[:at]
                self.done = True


def finish_text(stream: Stream) -> Output:
    """Trim trailing blank space, so an answer never ends on empty lines."""
    return Output(stream.text.rstrip(), len(stream.ids))
