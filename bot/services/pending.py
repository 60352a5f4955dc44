"""Requests acknowledged to Discord and not answered yet, kept so that a crash strands none.

A request is held (with its interaction's webhook token and its RNG seed fixed) just before
Discord is told "thinking…", and released once the person can see the outcome. Whatever a crash
or restart left held is answered at the next start while the token still lives: written again
with the same seed, so it is the text the person would have got, or, if that cannot be done,
a plain "try again". Older ones are closed in the generations log as lost at restart.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta

from bot.services.lyrics import Admission, LyricsRequest, LyricsService
from bot.storage import Database, GenerationRow, PendingRequest

log = logging.getLogger(__name__)
TOKEN_LIFETIME = timedelta(minutes=15)
ANSWER_MARGIN = timedelta(minutes=1)  # time to write and post an answer before expiry
LOST_AT_RESTART = "lost at restart: the bot stopped before answering, too long ago to answer"


class PendingRequests:
    def __init__(self, db: Database, lyrics: LyricsService) -> None:
        self.db = db
        self.lyrics = lyrics

    async def hold(
        self,
        admission: Admission,
        *,
        application_id: int,
        token: str,
        created_at: datetime,
    ) -> None:
        """Before Discord is told "thinking…": then no acknowledged request goes unrecorded."""
        request = admission.request
        assert request.interaction_id is not None, "only Discord interactions are held"
        fields = asdict(replace(request, rng_seed=admission.params.rng_seed))
        await self.db.add_pending(
            PendingRequest(
                interaction_id=request.interaction_id,
                created_at=created_at,
                application_id=application_id,
                token=token,
                message_id=None,
                request=fields,
            )
        )

    async def placed(self, admission: Admission, message_id: int) -> None:
        """The placeholder Discord shows for it, where its answer goes."""
        assert admission.request.interaction_id is not None
        await self.db.place_pending(admission.request.interaction_id, message_id)

    async def release(self, admission: Admission) -> None:
        if admission.request.interaction_id is not None:
            await self.db.forget_pending(admission.request.interaction_id)

    async def stranded(self, now: datetime | None = None) -> list[PendingRequest]:
        """The held requests that can still be answered, oldest first; the others are
        closed in the log and forgotten."""
        now = now or datetime.now(UTC)
        live: list[PendingRequest] = []
        for pending in await self.db.pending_requests():
            if now - pending.created_at < TOKEN_LIFETIME - ANSWER_MARGIN:
                live.append(pending)
                continue
            await self._close_as_lost(pending)
        if live:
            log.info("answering %d request(s) a restart interrupted", len(live))
        return live

    async def shown(self, message_id: int) -> GenerationRow | None:
        """The generation a held request's message was linked to, if the crash came after."""
        generation_id = await self.db.generation_for_message(message_id)
        return await self.db.get_generation(generation_id) if generation_id else None

    def readmit(self, pending: PendingRequest) -> Admission:
        """The request as first admitted, same RNG seed; refusals (a full queue, a model
        gone) raise the usual UserFacingError."""
        return self.lyrics.admit(LyricsRequest(**pending.request))

    async def _close_as_lost(self, pending: PendingRequest) -> None:
        request = LyricsRequest(**pending.request)
        await self.lyrics.log_lost(request, pending.created_at, LOST_AT_RESTART)
        await self.db.forget_pending(pending.interaction_id)
        log.warning("interaction %s was lost at restart: too old to answer", pending.interaction_id)
