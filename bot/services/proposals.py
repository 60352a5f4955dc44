"""Proposing the answers people rated highest to the corpus, for an admin to review.

A proposal is an ordinary pending submission: never approved here, refused as a duplicate
like any other text, and reviewed with ``/corpus approve`` or ``reject``. Where it came from
lives in the entry's title ("from generation #42 (4.7 from 3 raters)"), so ``/corpus list``
shows it without a new column.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.corpus import CorpusService
from bot.services.errors import InvalidRequest
from bot.storage import Database, RatedAnswer

MIN_MEAN = 4.5
MIN_RATERS = 3
CANDIDATES = 200
"""Answers looked at per call, best first; those already in the corpus are refused quickly."""
LISTED = 15
"""New entries named one by one in the reply (a Discord message holds 2,000 characters)."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """One answer offered to the corpus: its new entry, or None where it was refused."""

    answer: RatedAnswer
    entry_id: int | None


async def propose_highly_rated(
    db: Database,
    corpus: CorpusService,
    *,
    proposer: int | None,
    guild_id: int | None = None,
    min_mean: float = MIN_MEAN,
    min_raters: int = MIN_RATERS,
) -> list[Proposal]:
    """Submit every answer rated ``min_mean`` or better by ``min_raters`` or more people as a
    pending entry, best first; answers already in the corpus come back refused."""
    answers = await db.rated_answers(
        guild_id, best_first=True, min_raters=min_raters, min_mean=min_mean, limit=CANDIDATES
    )
    proposals = []
    for answer in answers:
        title = f"from generation #{answer.id} ({answer.mean:.1f} from {answer.raters} raters)"
        try:
            entry_id = await corpus.submit(
                answer.output, source="submission", submitted_by=proposer, title=title,
                licence=f"written by lyricbot ({answer.model_version}), rated by its users",
            )  # fmt: skip
        except InvalidRequest:  # already in the corpus (in any state), or no text at all
            proposals.append(Proposal(answer, None))
        else:
            proposals.append(Proposal(answer, entry_id))
    return proposals


def describe_proposals(proposals: list[Proposal], min_mean: float, min_raters: int) -> str:
    """What happened, for the CLI and Discord alike: each new entry, then the refusals."""
    if not proposals:
        return f"No answer has a mean of {min_mean:g} or more from {min_raters} or more raters."
    added = [p for p in proposals if p.entry_id is not None]
    refused = [p for p in proposals if p.entry_id is None]
    lines = [f"Proposed {len(added)} answer(s) as pending entries, for an admin to review."]
    lines += [
        f"generation #{p.answer.id} ({p.answer.mean:.1f} from {p.answer.raters} raters): "
        f"entry #{p.entry_id}"
        for p in added[:LISTED]
    ]
    if len(added) > LISTED:
        lines.append(f"… and {len(added) - LISTED} more.")
    if refused:
        ids = ", ".join(f"#{p.answer.id}" for p in refused[:LISTED])
        more = "…" if len(refused) > LISTED else ""
        why = "already in the corpus, or empty"
        lines.append(f"Refused {len(refused)} ({why}): generations {ids}{more}")
    return "\n".join(lines)
