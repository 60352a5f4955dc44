"""Best of K, line by line: fork at each line start, sample K lines at once, keep one.

Each sample of a request owns K rows. They start a line from the same state (the kept line's
end, copied into all K by a `RowStore`), are sampled side by side in the request's batch
under the constraints (constraints/), and a row that has finished its line waits, frozen,
until all K have. Then one is kept by its score — the mean log-probability of its tokens
under the model, less a penalty per syllable off target and for an ending that misses the
scheme — and its state, stream and tracker are copied into the K rows for the next line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lyriccore.checkpoint import LoadedModel
from lyriccore.constraints.goal import RowGoal
from lyriccore.constraints.rows import RowConstraints
from lyriccore.constraints.tokens import TokenTable
from lyriccore.constraints.tracker import LineTracker
from lyriccore.form import line_goal
from lyriccore.model_words import ModelWords, model_words
from lyriccore.permodel import PerModel
from lyriccore.rowstore import RowStore
from lyriccore.sampling import SamplingParams
from lyriccore.seeds import PreparedSeed
from lyriccore.streams import Stream
from lyriccore.words import WordSet

SYLLABLE_PENALTY = 0.3  # score per syllable off target (mean log-prob is ~-1 per char)
OUTSIDE_TOLERANCE = 2.0
MISSED_RHYME = 3.0
UNSHAPED_FORCE_AT = 10  # syllables after which an A-line ending is forced when no target


@dataclass
class Ended:
    """A kept line's end, which later lines rhyme with."""

    word: str
    syllables: int


@dataclass
class Candidate:
    tracker: LineTracker
    goal: RowGoal
    logp: float = 0.0
    tokens: int = 0
    start_lines: int = 0
    ended: Ended | None = None
    finished: bool = False
    snapshot: object | None = None


class LineChooser:
    def __init__(
        self, loaded: LoadedModel, seed: PreparedSeed, params: SamplingParams, streams: list[Stream]
    ) -> None:
        self.params, self.k, self.streams = params, params.best_of, streams
        self.words: ModelWords = model_words(loaded)
        self.lexicon = self.words.lexicon
        self.table = token_table(loaded)
        self.constraints = RowConstraints(self.table, self.lexicon)
        self.tokens = loaded.tokenizer.tokens
        self.allowed = self.words.allowed(params.words)
        self.kept: list[list[Ended]] = [[] for _ in range(params.samples)]
        self.kept_text = ""  # the first sample's kept lines, for streaming
        self.done = [False] * params.samples
        tracker = self._seed_tracker(seed, loaded)
        goal = self._goal(0, 0)
        self.rows = [Candidate(tracker.copy(), goal) for _ in streams]
        self._logp = np.zeros((len(streams), 0), np.float32)

    def _seed_tracker(self, seed: PreparedSeed, loaded: LoadedModel) -> LineTracker:
        tracker = LineTracker()
        for piece in loaded.tokenizer.split(seed.text):
            self._feed(tracker, piece)
        if tracker.partial and self.allowed is not None:
            tracker.free_partial = not self.allowed.is_prefix(tracker.partial)
        return tracker

    def _feed(self, tracker: LineTracker, piece: str) -> None:
        if self.table.char_level:
            tracker.feed_char(piece, self.lexicon)
        else:
            tracker.feed_piece(piece, self.lexicon)

    def _goal(self, sample: int, index: int) -> RowGoal:
        p = self.params
        goal = line_goal(index, p.scheme, p.syllables)
        target = goal.syllables
        ending: WordSet | None = None
        force_at = 10**6
        if goal.partner is not None and goal.partner < len(self.kept[sample]):
            partner = self.kept[sample][goal.partner]
            used = {e.word for e in self.kept[sample][goal.partner :]}
            rhymes = self.words.rhymes_of(partner.word, near=p.near_rhyme) - used
            ending = WordSet(rhymes) or None
            force_at = target - 1 if target else max(2, partner.syllables - 1)
        elif goal.rhymes_needed:
            ending = self._new_sound(sample, index, goal.rhymes_needed)
            force_at = target - 1 if target else UNSHAPED_FORCE_AT
        return RowGoal(
            words=self.allowed,
            syllables=target,
            tolerance=p.syllable_tolerance,
            ending=ending,
            force_at=force_at,
            stanzas=p.scheme is not None or not p.stanza_breaks,
            stanza_break=goal.stanza_start,
        )

    def _new_sound(self, sample: int, index: int, needed: int) -> WordSet:
        """Where a line that opens a rhyme may end: a word with enough rhymes left, that does
        not rhyme with the lines before it in the stanza. A B that rhymed with A was no B, and
        A's later lines took the rhymes B's partner needed ("east" … "priest" … "east" left
        nothing for the fourth line)."""
        p = self.params
        assert p.scheme is not None
        earlier = self.kept[sample][index - index % len(p.scheme) : index]
        return self.words.rhymable_apart(
            needed, frozenset(e.word for e in earlier), near=p.near_rhyme
        )

    def constrain(self, logits: np.ndarray) -> None:
        """Mask each writing row's logits in place; keep their log-probabilities for scoring."""
        shifted = logits - logits.max(axis=1, keepdims=True)
        self._logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        for row, candidate in enumerate(self.rows):
            if not candidate.finished:
                self.constraints.mask_row(logits[row], candidate.tracker, candidate.goal)

    def push(self, tokens: list[int]) -> bool:
        """Feed each writing row its token; True once every sample has all its lines."""
        for row, (candidate, token) in enumerate(zip(self.rows, tokens, strict=True)):
            if candidate.finished:
                continue
            stream, piece = self.streams[row], self.tokens[token]
            if piece == "\n" and candidate.tracker.has_text:
                candidate.ended = self._ended(candidate.tracker)
            stream.push(token)
            self._feed(candidate.tracker, piece)
            candidate.logp += float(self._logp[row, token])
            candidate.tokens += 1
            if stream.lines_done > candidate.start_lines or stream.done:
                candidate.finished = True
                candidate.ended = candidate.ended or self._ended(candidate.tracker)
        return all(self.done)

    def _ended(self, tracker: LineTracker) -> Ended:
        return Ended(tracker.last_word, tracker.syllables_if_ended(self.lexicon))

    def stepping(self) -> np.ndarray:
        """Rows still writing their line, or just done with it (their state must take in the
        line's last token before it is kept); the others wait as they are."""
        return np.array([not c.finished or c.snapshot is None for c in self.rows], bool)

    def after_step(self, store: RowStore) -> None:
        """Snapshot rows that just finished; once a sample's K rows all have, keep one."""
        for row, candidate in enumerate(self.rows):
            if candidate.finished and candidate.snapshot is None:
                candidate.snapshot = store.take(row)
        for sample in range(len(self.kept)):
            rows = range(sample * self.k, (sample + 1) * self.k)
            if not self.done[sample] and all(self.rows[r].finished for r in rows):
                self._keep(sample, rows, store)

    def _keep(self, sample: int, rows: range, store: RowStore) -> None:
        best = max(rows, key=lambda r: self._score(self.rows[r]))
        chosen, stream = self.rows[best], self.streams[best]
        assert chosen.ended is not None and chosen.snapshot is not None
        self.kept[sample].append(chosen.ended)
        if sample == 0:
            self.kept_text = stream.text
        if stream.done:
            self.done[sample] = True
            for r in rows:
                self.streams[r] = stream
            return
        store.put(rows, chosen.snapshot)
        goal = self._goal(sample, len(self.kept[sample]))
        for r in rows:
            self.streams[r] = stream.copy()
            self.rows[r] = Candidate(chosen.tracker.copy(), goal, start_lines=stream.lines_done)

    def _score(self, candidate: Candidate) -> float:
        score = candidate.logp / max(1, candidate.tokens)
        goal, ended = candidate.goal, candidate.ended
        assert ended is not None
        if goal.syllables is not None:
            off = abs(ended.syllables - goal.syllables)
            score -= SYLLABLE_PENALTY * off + OUTSIDE_TOLERANCE * (off > goal.tolerance)
        if goal.ending is not None and ended.word not in goal.ending:
            score -= MISSED_RHYME
        return score

    def progress(self) -> tuple[int, str]:
        if self.done[0]:  # the whole answer is on its way: nothing to stream
            return 0, ""
        return len(self.kept[0]), self.kept_text

    def finished_streams(self) -> list[Stream]:
        """Each sample's kept stream."""
        return [self.streams[s * self.k] for s in range(len(self.kept))]


token_table = PerModel(lambda loaded: TokenTable(loaded.tokenizer))
"""One token table per loaded model (its mask cache is what makes steps cheap)."""
