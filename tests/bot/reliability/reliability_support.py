"""What reliability tests check on replies and logs, shared by the test modules (plain
functions, not fixtures: they need nothing set up)."""

from __future__ import annotations

import re

from fakediscord import MessageRecord

# "2025-01-01 12:00:00,000 ERROR   bot.x: ..." (bot/logging_setup.py's format)
ERROR_LINE = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) ", re.MULTILINE)
GENERATION_ID = re.compile(r" · #(\d+)\n-# Machine-generated")


def settled(message: MessageRecord) -> bool:
    """The answer, not a "⏳ Queued" or "✍️ writing…" progress edit."""
    return not message.content.startswith("⏳") and not message.content.endswith("writing…")


def is_lyrics(message: MessageRecord) -> bool:
    """A public answer with lyrics (not a private refusal, not a public "⚠️" problem)."""
    return not message.ephemeral and "\n-# Machine-generated lyrics." in message.content


def generation_id_shown(message: MessageRecord) -> int:
    """The generation number the answer's footer shows the user ("· #42")."""
    match = GENERATION_ID.search(message.content)
    assert match, message.content
    return int(match.group(1))


def error_lines(log: str) -> list[str]:
    return [m.group(0) + log[m.end() :].split("\n", 1)[0] for m in ERROR_LINE.finditer(log)]
