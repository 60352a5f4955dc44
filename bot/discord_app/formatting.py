"""Turning service results into Discord messages: escaped, within limits, never pinging."""

from __future__ import annotations

import discord

from bot.services.lyrics import LyricsAnswer, SongAnswer
from bot.storage import GroupStats, StatsReport

MESSAGE_LIMIT = 2000
NO_PINGS = discord.AllowedMentions.none()
WRITING = "\n\n-# ✍️ writing…"


def escape(text: str) -> str:
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def footer(answer: LyricsAnswer) -> str:
    note = "-# Machine-generated lyrics. Rate them by reacting 1–5."
    if answer.result.unknown:
        dropped = escape("".join(dict.fromkeys(answer.result.unknown)))[:60]
        note += f"\n-# Left out of the seed (unknown to this model): {dropped}"
    return "-# " + escape(" · ".join(answer.summary())) + "\n" + note


def format_answer(answer: LyricsAnswer) -> str:
    """Seed in bold, the rest plain; cut at a line boundary so the footer always fits."""
    seed, continuation = answer.result.seed, answer.result.continuations[0]
    if answer.request.kind == "continue":  # the earlier answer is just above: its last line
        seed = "…" + seed.rsplit("\n", 1)[-1]
    return _with_tail(seed, continuation, "\n\n" + footer(answer))


def format_song(answer: SongAnswer) -> tuple[str, str | None]:
    """The song as a message, section labels in bold; one too long for a message comes as a
    `.txt` attachment (its text is the second value) beside its first lines."""
    note = "-# Machine-generated song. Rate it by reacting 1–5."
    tail = "\n\n-# " + escape(" · ".join(answer.summary())) + "\n" + note
    body = "\n\n".join(f"**[{escape(s.label)}]**\n{escape(s.text)}" for s in answer.song.sections)
    if len(body) + len(tail) <= MESSAGE_LIMIT:
        return body + tail, None
    first = answer.song.sections[0]
    head = f"**[{escape(first.label)}]**\n{escape(first.text)}\n\n-# The whole song is attached."
    return head[: MESSAGE_LIMIT - len(tail)] + tail, answer.song.text


def format_partial(seed: str, continuation: str) -> str:
    """The lines written so far, while the rest is still being written."""
    return _with_tail(seed, continuation.rstrip("\n"), WRITING)


def _with_tail(seed: str, continuation: str, tail: str) -> str:
    lines = (seed + continuation).split("\n")
    seed_lines = seed.count("\n") + 1
    out: list[str] = []
    used = len(tail)
    for index, line in enumerate(lines):
        if index < seed_lines - 1:
            rendered = f"**{escape(line)}**" if line else ""
        elif index == seed_lines - 1:
            head = seed.split("\n")[-1]
            rendered = f"**{escape(head)}**{escape(line[len(head) :])}" if head else escape(line)
        else:
            rendered = escape(line)
        if used + len(rendered) + 1 > MESSAGE_LIMIT:
            break
        out.append(rendered)
        used += len(rendered) + 1
    return "\n".join(out).rstrip() + tail


def _group_line(group: GroupStats) -> str:
    mean = f"{group.mean_rating:.2f}" if group.mean_rating is not None else "–"
    counts = f"{group.generations} generations, {group.ratings} ratings"
    return f"{escape(group.key)}: {counts}, mean {mean}"


def format_stats(report: StatsReport) -> str:
    mean = f"{report.mean_rating:.2f}" if report.mean_rating is not None else "no ratings yet"
    parts = [
        f"**{report.total_generations}** generations, **{report.total_ratings}** ratings, "
        f"mean rating {mean}",
        "**By model version**",
        *(_group_line(g) for g in report.by_model_version),
        "**By temperature**",
        *(_group_line(g) for g in report.by_temperature_band),
        "**By rhyme scheme**",
        *(_group_line(g) for g in report.by_scheme),
        "**By words**",
        *(_group_line(g) for g in report.by_words),
        "**By what asked**",
        *(_group_line(g) for g in report.by_kind),
        "**By style**",
        *(_group_line(g) for g in report.by_style),
    ]
    text = "\n".join(parts)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
