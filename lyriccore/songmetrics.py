"""How song-like generated lyrics are: real words, rhymes kept, syllables hit, lines copied.

The same figures are computed for free and for shaped generation on the same seeds, so the
cost of the constraints shows beside their gain. A rhyme pair whose ends are not both in the
lexicon is counted apart (`pairs_outside_lexicon`): its verdict rests on spelling only.
"""

from __future__ import annotations

from dataclasses import dataclass

from lyriccore.form import line_goal
from lyriccore.model_words import ModelWords
from lyriccore.textmetrics import text_metrics
from lyriccore.words import word_runs

COPY_MIN_CHARS = 20


@dataclass(frozen=True)
class SongForm:
    scheme: str | None
    syllables: tuple[int, ...] | None
    near_rhyme: bool = False


def song_lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def real_word_rate(texts: list[str], words: ModelWords) -> float:
    """Share of words that are training-corpus or lexicon words (what strict mode allows)."""
    found = [w for t in texts for w in word_runs(t)]
    allowed = words.strict_words
    return sum(w in allowed for w in found) / len(found) if found else 1.0


def rhyme_adherence(texts: list[str], form: SongForm, words: ModelWords) -> dict[str, float]:
    lexicon, pairs, rhymed, outside = words.lexicon, 0, 0, 0
    for text in texts:
        ends = [(word_runs(line) or [""])[-1] for line in song_lines(text)]
        for i, end in enumerate(ends):
            partner = line_goal(i, form.scheme, None).partner
            if partner is None:
                continue
            other = ends[partner]
            if end not in lexicon or other not in lexicon:
                outside += 1
                continue
            pairs += 1
            rhymed += lexicon.rhymes(end, other, near=form.near_rhyme)
    return {
        "required_pairs": pairs,
        "rhyming_pairs": rhymed,
        "adherence": rhymed / pairs if pairs else 0.0,
        "pairs_outside_lexicon": outside,
    }


def syllable_accuracy(texts: list[str], form: SongForm, words: ModelWords) -> dict[str, float]:
    exact = near = total = 0
    for text in texts:
        for i, line in enumerate(song_lines(text)):
            target = line_goal(i, None, form.syllables).syllables
            if target is None:
                continue
            count = sum(words.lexicon.syllables(w) for w in word_runs(line))
            total += 1
            exact += count == target
            near += abs(count - target) <= 1
    return {
        "lines": total,
        "exact": exact / total if total else 0.0,
        "within_1": near / total if total else 0.0,
    }


def copying(texts: list[str], training_text: str) -> dict[str, float]:
    """Lines of >= 20 chars found verbatim in the training text, and the longest copied span."""
    lines = [line for t in texts for line in song_lines(t) if len(line) >= COPY_MIN_CHARS]
    copied = sum(line in training_text for line in lines)
    return {
        "long_lines": len(lines),
        "copied_line_rate": copied / len(lines) if lines else 0.0,
        "longest_copied_span": max((_longest_span(t, training_text) for t in texts), default=0),
    }


def _longest_span(text: str, training_text: str) -> int:
    """Two pointers: the longest span starting at i+1 is at least the one at i, less one."""
    best, end = 0, 0
    for start in range(len(text)):
        end = max(end, start)
        while end < len(text) and text[start : end + 1] in training_text:
            end += 1
        best = max(best, end - start)
    return best


def song_metrics(
    texts: list[str], form: SongForm, words: ModelWords, training_text: str
) -> dict[str, object]:
    return {
        "real_word_rate": real_word_rate(texts, words),
        "rhyme": rhyme_adherence(texts, form, words),
        "syllables": syllable_accuracy(texts, form, words),
        **copying(texts, training_text),
        **{k: v for k, v in text_metrics(texts).to_dict().items() if k.startswith("distinct")},
    }
