"""Small HTTP helpers shared by the REST route modules: errors, bodies and ids."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import BodyPartReader, web

from .models import Upload

JSON_KEY: web.RequestKey[Any] = web.RequestKey("fakediscord_json", object)
FILES_KEY: web.RequestKey[list[Upload]] = web.RequestKey("fakediscord_files", list)


class ApiError(Exception):
    """Becomes a Discord-shaped JSON error; discord.py maps the status to its exception type."""

    def __init__(self, status: int, code: int, message: str, **extra: Any) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code, **extra}


def unknown(kind: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {kind}")


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """JSON with a Content-Type of exactly ``application/json``: discord.py compares the header
    by equality, so aiohttp's usual ``; charset=utf-8`` would make it treat bodies as text."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def no_content() -> web.Response:
    return web.Response(status=204)


def body(request: web.Request) -> dict[str, Any]:
    data = request.get(JSON_KEY)
    return data if isinstance(data, dict) else {}


def files(request: web.Request) -> list[Upload]:
    return list(request.get(FILES_KEY) or [])


def snowflake(request: web.Request, key: str, kind: str, code: int) -> int:
    """An id from the path; a non-numeric one is Discord's 404 for that kind of object."""
    value = request.match_info[key]
    if not value.isdigit():
        raise unknown(kind, code)
    return int(value)


async def read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """JSON body, or multipart ``payload_json`` plus ``files[n]`` as discord.py uploads them."""
    if request.content_type == "multipart/form-data":
        return await _read_multipart(request)
    if not request.body_exists:
        return None, []
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []


async def _read_multipart(request: web.Request) -> tuple[Any, list[Upload]]:
    payload: Any = None
    uploads: list[Upload] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "payload_json":
            payload = json.loads(await part.text())
        else:
            data = bytes(await part.read())
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            uploads.append(Upload(part.filename or part.name or "file", data, content_type))
    return payload, uploads
