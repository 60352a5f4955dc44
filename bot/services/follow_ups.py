"""New answers asked for from an earlier one, by its buttons: another take (same settings, a
new RNG seed), four more lines from where it ended, or the same seed with other settings.

They are built from the logged generation, not from anything kept in memory, so the buttons
of an answer posted before a restart work just the same.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.services.errors import InvalidRequest
from bot.services.lyrics import LyricsRequest
from bot.storage import GenerationRow, Kind

CONTINUE_LINES = 4
CONTEXT_CHARS = 1200  # of the earlier answer a continuation reads as its seed


def follow_up(
    parent: GenerationRow,
    kind: Kind,
    *,
    user_id: int,
    guild_id: int | None,
    channel_id: int | None,
    interaction_id: int,
    changes: dict[str, Any] | None = None,
) -> LyricsRequest:
    """The request behind a button; `changes` are the settings a person typed (kind "edit")."""
    if parent.status != "ok" or parent.output is None:
        raise InvalidRequest("That answer has no lyrics to start from.")
    p = parent.params
    request = LyricsRequest(
        seed=parent.seed, temperature=p.get("temperature", 0.8), top_p=p.get("top_p"),
        top_k=p.get("top_k") or None, lines=p.get("lines"),
        repetition_penalty=p.get("repetition_penalty"), anneal=p.get("anneal_to"),
        model=p.get("model"), scheme=p.get("scheme"), syllables=_pattern(p.get("syllables")),
        best_of=p.get("best_of"), words=p.get("words"), style=p.get("style"),
        parent_id=parent.id, kind=kind,
        source="discord", guild_id=guild_id, channel_id=channel_id, user_id=user_id,
        interaction_id=interaction_id,
    )  # fmt: skip
    if kind != "edit":  # the same settings: the same preset, if one stood for them
        request = replace(request, preset=p.get("preset"))
    if kind == "continue":
        # The answer's last line counts as the first (it may still grow, as lines do), so
        # four new lines follow it.
        seed = parent.output[-CONTEXT_CHARS:]
        return replace(request, seed=seed, lines=CONTINUE_LINES + 1)
    if kind == "edit" and changes:
        return replace(request, best_of=None, **changes)  # best of K follows the new form
    return request


def _pattern(syllables: object) -> str | None:
    """The logged syllable pattern ([8, 6]) as a person writes it ("8,6")."""
    if isinstance(syllables, list | tuple) and syllables:
        return ",".join(str(n) for n in syllables)
    return None
