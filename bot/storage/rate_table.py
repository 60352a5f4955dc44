"""SQL for migration 8's table: the request times behind a cooldown several processes share."""

from __future__ import annotations

FORGET_EXPIRED = "DELETE FROM request_times WHERE user_id = ? AND at <= ?"
RECENT = "SELECT at FROM request_times WHERE user_id = ? ORDER BY at"
RECORD = "INSERT INTO request_times (user_id, at) VALUES (?, ?)"
