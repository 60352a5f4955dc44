"""SQL text and row conversion for migration 4's table: requests acknowledged, not answered.

Kept apart from ``database.py`` like ``admin_tables.py``; ``Database``'s methods for it are
thin. Every read returns the token, so nothing here is ever logged.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.storage.backend import Row
from bot.storage.records import PendingRequest, to_utc_text

INSERT_PENDING = """
INSERT INTO pending_requests (
    interaction_id, created_at, application_id, token, message_id, request_json
) VALUES (
    :interaction_id, :created_at, :application_id, :token, :message_id, :request_json
)
ON CONFLICT (interaction_id) DO UPDATE SET
    created_at = excluded.created_at, application_id = excluded.application_id,
    token = excluded.token, message_id = excluded.message_id,
    request_json = excluded.request_json
"""

ALL_PENDING = """
SELECT interaction_id, created_at, application_id, token, message_id, request_json
FROM pending_requests ORDER BY created_at, interaction_id
"""

DELETE_PENDING = "DELETE FROM pending_requests WHERE interaction_id = ?"

PLACE_PENDING = "UPDATE pending_requests SET message_id = ? WHERE interaction_id = ?"


def pending_values(pending: PendingRequest) -> dict[str, Any]:
    return {
        "interaction_id": pending.interaction_id,
        "created_at": to_utc_text(pending.created_at),
        "application_id": pending.application_id,
        "token": pending.token,
        "message_id": pending.message_id,
        "request_json": json.dumps(dict(pending.request), sort_keys=True, allow_nan=False),
    }


def pending_row(row: Row) -> PendingRequest:
    return PendingRequest(
        interaction_id=int(row["interaction_id"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        application_id=int(row["application_id"]),
        token=str(row["token"]),
        message_id=row["message_id"],
        request=json.loads(row["request_json"]),
    )
