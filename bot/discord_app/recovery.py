"""At start-up, answer the requests a crash or restart left unanswered (services/pending.py).

Each is written again with its recorded RNG seed and shown in its own "thinking…" placeholder
through the interaction's webhook, which Discord keeps valid for 15 minutes. One that cannot
be written now (a full queue, no model) is told plainly to try again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.discord_app.answers import deliver, placeholder_edit
from bot.services.errors import UserFacingError
from bot.storage import PendingRequest

if TYPE_CHECKING:
    from bot.discord_app.client import LyricBot

log = logging.getLogger(__name__)
ORIGINAL: Any = "@original"  # Discord's name for an interaction's first response
CANNOT_FINISH = "⚠️ I restarted while writing this and can't finish it now: {reason}"


async def answer_stranded(bot: LyricBot) -> None:
    stranded = await bot.services.pending.stranded()
    await asyncio.gather(*(_answer(bot, pending) for pending in stranded))


async def _answer(bot: LyricBot, pending: PendingRequest) -> None:
    webhook = discord.Webhook.partial(pending.application_id, pending.token, client=bot)
    services = bot.services
    try:
        message_id = pending.message_id or (await webhook.fetch_message(ORIGINAL)).id
        edit = placeholder_edit(webhook, message_id)
        try:
            admission = services.pending.readmit(pending)
        except UserFacingError as exc:
            reason = discord.utils.escape_mentions(str(exc))
            await edit(content=CANNOT_FINISH.format(reason=reason))
            await services.db.forget_pending(pending.interaction_id)
            return
        shown = await services.pending.shown(message_id)
        await deliver(bot, admission, message_id, edit, shown=shown)
    except discord.HTTPException as exc:  # never acknowledged, expired, or deleted since
        log.warning(
            "could not answer interrupted interaction %s: %s", pending.interaction_id, exc.status
        )
        await services.db.forget_pending(pending.interaction_id)
    except Exception:
        log.exception("could not answer interrupted interaction %s", pending.interaction_id)
        await services.db.forget_pending(pending.interaction_id)
