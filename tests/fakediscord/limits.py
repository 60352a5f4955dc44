"""Discord's message limits, enforced like the real API does (400 Invalid Form Body / 50006).

A lyrics bot easily writes more than 2000 characters or a 4096+ character embed; in
production that is a 400 the user sees as "the bot never answered", so the fake refuses
exactly the same bodies.
"""

from __future__ import annotations

from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_FIELD_LIMITS = {"title": 256, "description": 4096}
FIELDS_MAX = 25


def is_empty(payload: dict[str, Any], file_count: int) -> bool:
    """Discord's 50006 "Cannot send an empty message" check."""
    keys = ("content", "embeds", "components", "sticker_ids", "poll")
    return file_count == 0 and not any(payload.get(k) for k in keys)


def message_problems(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """Returns (path, problem) pairs; empty when Discord would accept the body."""
    problems: list[tuple[str, str]] = []
    content = payload.get("content")
    if isinstance(content, str) and len(content) > CONTENT_MAX:
        problems.append(("content", f"Must be {CONTENT_MAX} or fewer in length."))
    embeds = payload.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        problems.append(("embeds", f"Must be {EMBEDS_MAX} or fewer in length."))
    total = 0
    for index, embed in enumerate(embeds):
        problems += _embed_problems(embed, f"embeds.{index}")
        total += embed_size(embed)
    if total > EMBED_TOTAL_MAX:
        problems.append(("embeds", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"))
    return problems


def _embed_problems(embed: dict[str, Any], path: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for key, limit in EMBED_FIELD_LIMITS.items():
        value = embed.get(key)
        if isinstance(value, str) and len(value) > limit:
            problems.append((f"{path}.{key}", f"Must be {limit} or fewer in length."))
    fields = embed.get("fields") or []
    if len(fields) > FIELDS_MAX:
        problems.append((f"{path}.fields", f"Must be {FIELDS_MAX} or fewer in length."))
    for index, item in enumerate(fields):
        if len(str(item.get("name", ""))) > 256:
            problems.append((f"{path}.fields.{index}.name", "Must be 256 or fewer in length."))
        if len(str(item.get("value", ""))) > 1024:
            problems.append((f"{path}.fields.{index}.value", "Must be 1024 or fewer in length."))
    return problems


def embed_size(embed: dict[str, Any]) -> int:
    """Characters counted towards the 6000 total: title, description, fields, footer, author."""
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in embed.get("fields") or [])
    size += len((embed.get("footer") or {}).get("text", ""))
    size += len((embed.get("author") or {}).get("name", ""))
    return size


def is_valid_emoji(emoji: str) -> bool:
    """Custom ``name:id`` or a real unicode emoji; ``":thumbsup:"`` is Discord's 10014."""
    head, sep, tail = emoji.rpartition(":")
    if sep and head and tail.isdigit():
        return True
    return bool(emoji) and ":" not in emoji and not emoji.isascii() and " " not in emoji
