"""Who may run admin commands, decided the same way for Discord and for the console."""

from __future__ import annotations

from collections.abc import Iterable

from bot.settings import Settings


def is_admin(
    settings: Settings, *, user_id: int, role_ids: Iterable[int], manage_guild: bool
) -> bool:
    """Manage Server, a configured admin role, or a configured admin user."""
    return (
        manage_guild
        or user_id in settings.admin_user_ids
        or not settings.admin_role_ids.isdisjoint(role_ids)
    )


def may_submit(settings: Settings, *, role_ids: Iterable[int], admin: bool) -> bool:
    """Anyone may submit unless submit roles are configured."""
    return (
        admin
        or not settings.corpus_submit_role_ids
        or (not settings.corpus_submit_role_ids.isdisjoint(role_ids))
    )
