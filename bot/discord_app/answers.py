"""Putting a written answer where the person waits for it: in place of the "thinking…"
placeholder, reached through the live interaction or, after a restart, through its webhook.

The request stays held (services/pending.py) until the person can see the outcome, so a crash
at any point before that leaves it to be answered at the next start.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.discord_app.formatting import NO_PINGS, format_answer, format_song
from bot.discord_app.streaming import AnswerStream, Edit
from bot.services.errors import UserFacingError
from bot.services.lyrics import Admission, LyricsRequest
from bot.services.queue import PositionCallback
from bot.services.streaming import LiveText
from bot.storage import GenerationRow

if TYPE_CHECKING:
    from bot.discord_app.client import LyricBot


async def reply_privately(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral answer, whether or not the interaction was already acknowledged. Text may
    echo what a user typed, so mentions are defused as well as disabled."""
    text = discord.utils.escape_mentions(text)
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


log = logging.getLogger(__name__)


async def answer_interaction(
    bot: LyricBot, interaction: discord.Interaction, request: LyricsRequest
) -> None:
    """/lyrics, /song and the answers' buttons: refuse privately what cannot be written, else show
    "thinking…", hold the request (a crash strands none), and deliver the answer there."""
    services = bot.services
    try:
        admission = services.lyrics.admit(request)
    except UserFacingError as exc:
        await reply_privately(interaction, str(exc))
        return
    try:
        await services.pending.hold(
            admission,
            application_id=interaction.application_id,
            token=interaction.token,
            created_at=interaction.created_at,
        )
        callback = await interaction.response.defer(thinking=True)
        placeholder = callback.message_id if callback is not None else None
        if placeholder is None:
            placeholder = (await interaction.original_response()).id
        await services.pending.placed(admission, placeholder)
    except Exception:
        await services.lyrics.withdraw(admission)
        await services.pending.release(admission)
        raise

    async def show_position(position: int) -> None:
        await interaction.edit_original_response(content=f"⏳ Queued: position {position}.")

    await deliver(bot, admission, placeholder, interaction.edit_original_response, show_position)


async def deliver(
    bot: LyricBot,
    admission: Admission,
    message_id: int,
    edit: Edit,
    on_position: PositionCallback | None = None,
    *,
    shown: GenerationRow | None = None,
) -> None:
    """Write the answer and show it; a refusal (time budget, queue, model) is shown there too.
    `shown`: what the message showed already, when a restart interrupted its delivery."""
    services = bot.services
    try:
        if admission.request.kind == "song":
            message = await _deliver_song(bot, admission, message_id, edit, shown)
        else:
            message = await _deliver_lyrics(bot, admission, message_id, edit, on_position, shown)
    except Exception:  # not a cancellation (shutdown): then it stays held for the next start
        await services.pending.release(admission)
        raise
    await services.pending.release(admission)
    if message is not None:
        await add_rating_reactions(bot, message)


async def _deliver_lyrics(
    bot: LyricBot,
    admission: Admission,
    message_id: int,
    edit: Edit,
    on_position: PositionCallback | None,
    shown: GenerationRow | None,
) -> discord.Message | None:
    """Lyrics stream into the placeholder line by line, then settle with their buttons."""
    services = bot.services
    live, stream = None, None
    if shown is None:  # an answer already shown once is not streamed again
        live = LiveText()
        stream = AnswerStream(live, edit, admission.request.seed.strip(), bot.edit_budget)
    problem: UserFacingError | None = None
    try:
        answer = await services.lyrics.write(admission, on_position, shown=shown, live=live)
    except UserFacingError as exc:
        problem = exc
    finally:
        if stream is not None:
            await stream.stop()  # the last streaming edit lands before the final one
    if problem is not None:
        return await _show_problem(edit, problem)
    # Link the message before showing the answer: if the process dies right after the edit,
    # reactions on what the user sees must still find their generation.
    await services.lyrics.attach_message(answer, message_id, replacing=shown)
    return await edit(
        content=format_answer(answer),
        allowed_mentions=NO_PINGS,
        view=bot.answer_view(answer.generation_id),
    )


async def _deliver_song(
    bot: LyricBot,
    admission: Admission,
    message_id: int,
    edit: Edit,
    shown: GenerationRow | None,
) -> discord.Message | None:
    """A song is shown whole; one too long for a message comes with a song.txt attachment."""
    try:
        answer = await bot.services.lyrics.write_song(admission, shown=shown)
    except UserFacingError as exc:
        return await _show_problem(edit, exc)
    await bot.services.lyrics.attach_message(answer, message_id, replacing=shown)
    content, whole = format_song(answer)
    files = [discord.File(io.BytesIO(whole.encode()), "song.txt")] if whole else []
    return await edit(content=content, attachments=files, allowed_mentions=NO_PINGS)


async def _show_problem(edit: Edit, problem: UserFacingError) -> None:
    """After a public defer the placeholder is the visible answer: say the problem there."""
    await edit(content=f"⚠️ {discord.utils.escape_mentions(str(problem))}")


async def add_rating_reactions(bot: LyricBot, message: discord.Message) -> None:
    """The answer is delivered already: a failing reaction costs one rating button, never
    the command (and never a "try again" that would invite a duplicate)."""
    for emoji in bot.settings.rating_emojis:
        try:
            await message.add_reaction(emoji)
        except discord.HTTPException as exc:
            log.warning("could not add rating reaction %s to %s: %s", emoji, message.id, exc)


def placeholder_edit(webhook: discord.Webhook, message_id: int) -> Edit:
    """Editing the placeholder through the interaction's webhook, as after a restart."""

    async def edit(**fields: Any) -> discord.Message:
        return await webhook.edit_message(message_id, **fields)

    return edit
