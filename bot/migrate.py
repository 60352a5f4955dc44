"""`lyricbot migrate --from URL --to URL`: move an installation to another database.

Both ends are opened as the bot opens them (so both are at the latest schema), every table
is copied with its ids, and each table's row count and checksum are read back from both
sides and printed: nothing lost is a claim the command proves, not one it makes.
"""

from __future__ import annotations

from bot.storage import Database
from bot.storage.transfer import TableCheck, copy_database


async def migrate_database(source: str, target: str) -> tuple[list[TableCheck], str]:
    """Copy ``source`` into the empty ``target``; return the per-table comparison and its
    report (locations without passwords)."""
    async with await Database.open(source) as src, await Database.open(target) as dst:
        checks = await copy_database(src.backend, dst.backend, replace=False)
        return checks, describe(checks, src.location, dst.location)


def describe(checks: list[TableCheck], source: str, target: str) -> str:
    lines = [check.line() for check in checks]
    rows = sum(check.target_rows for check in checks)
    if all(check.ok for check in checks):
        lines.append(f"copied {rows} rows from {source} to {target}; every table matches")
    else:
        bad = ", ".join(check.table for check in checks if not check.ok)
        lines.append(f"MISMATCH in {bad}: do not switch to {target}")
    return "\n".join(lines)
