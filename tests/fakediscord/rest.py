"""The REST side: the aiohttp app, its recording middleware, and the non-message routes.

Every call under ``/api/v10`` is recorded; faults are applied before routing; a route the fake
does not know is answered 404 *and* listed in ``unknown_routes``, so a test can assert the bot
only used what the harness models (a silent 404 would otherwise look like a bot bug).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .commands import error_body, validate_commands
from .faults import FaultInjector
from .http_util import (
    FILES_KEY,
    JSON_KEY,
    ApiError,
    body,
    json_response,
    read_body,
    snowflake,
    unknown,
)
from .models import RequestRecord
from .rest_interactions import InteractionRoutes
from .rest_messages import MessageRoutes
from .state import DiscordState, SyncCall

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gateway-ws/"
NO_AUTH_PREFIXES = ("/webhooks/", "/interactions/")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CoreRoutes:
    """Login, application info, gateway discovery, command sync, users and guilds."""

    def __init__(self, state: DiscordState) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        app = "/applications/{app_id}"
        return [
            ("GET", "/users/@me", self.me),
            ("POST", "/users/@me/channels", self.open_dm),
            ("GET", "/users/{user_id}", self.user),
            ("GET", "/oauth2/applications/@me", self.application),
            ("GET", "/applications/@me", self.application),
            ("GET", "/gateway", self.gateway),
            ("GET", "/gateway/bot", self.gateway),
            ("GET", app + "/commands", self.get_commands),
            ("PUT", app + "/commands", self.put_commands),
            ("GET", app + "/guilds/{guild_id}/commands", self.get_commands),
            ("PUT", app + "/guilds/{guild_id}/commands", self.put_commands),
            ("GET", "/guilds/{guild_id}", self.guild),
            ("GET", "/guilds/{guild_id}/channels", self.guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.guild_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.guild_member),
        ]

    async def me(self, request: web.Request) -> web.Response:
        data = self.state.bot.payload() | {"verified": True, "mfa_enabled": False, "flags": 0}
        return json_response(data)

    async def user(self, request: web.Request) -> web.Response:
        user = self.state.users.get(snowflake(request, "user_id", "User", 10013))
        if user is None:
            raise unknown("User", 10013)
        return json_response(user.payload())

    async def open_dm(self, request: web.Request) -> web.Response:
        user = self.state.users.get(int(body(request).get("recipient_id", 0)))
        if user is None:
            raise unknown("User", 10013)
        return json_response(self.state.dm_channel(user).payload())

    async def application(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(self.state.app_id),
                "name": self.state.bot.username,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.state.owner.payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "bot": self.state.bot.payload(),
            }
        )

    async def gateway(self, request: web.Request) -> web.Response:
        url = self.state.origin.replace("http://", "ws://") + GATEWAY_PATH
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        shards = self.state.shard_count
        return json_response({"url": url, "shards": shards, "session_start_limit": limit})

    def _scope(self, request: web.Request) -> int | None:
        if snowflake(request, "app_id", "Application", 10002) != self.state.app_id:
            raise ApiError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        guild_id = snowflake(request, "guild_id", "Guild", 10004)
        if guild_id not in self.state.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return guild_id

    async def get_commands(self, request: web.Request) -> web.Response:
        return json_response(self.state.commands.get(self._scope(request), []))

    async def put_commands(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        commands = request.get(JSON_KEY)
        if not isinstance(commands, list):
            raise ApiError(400, 50035, "Invalid Form Body")
        problems = validate_commands(commands)
        if problems:
            raise ApiError(400, 50035, "Invalid Form Body", errors=error_body(problems)["errors"])
        stored = [self._stored_command(scope, c) for c in commands]
        self.state.commands[scope] = stored
        self.state.sync_calls.append(SyncCall(guild_id=scope, commands=stored))
        self.state.changed()
        return json_response(stored)

    def _stored_command(self, scope: int | None, command: dict[str, Any]) -> dict[str, Any]:
        """Ids stay the same across re-syncs of the same name, as Discord keeps them."""
        key = (scope, command["name"], int(command.get("type", 1)))
        command_id = self.state.command_ids.setdefault(key, self.state.ids.next())
        stored = dict(command)
        stored.update(id=str(command_id), application_id=str(self.state.app_id))
        stored["version"] = str(self.state.ids.next())
        stored.setdefault("type", 1)
        stored.setdefault("default_member_permissions", None)
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    def _guild(self, request: web.Request) -> Any:
        guild = self.state.guilds.get(snowflake(request, "guild_id", "Guild", 10004))
        if guild is None:
            raise unknown("Guild", 10004)
        return guild

    async def guild(self, request: web.Request) -> web.Response:
        data = self._guild(request).payload()
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            data.pop(key, None)
        return json_response(data)

    async def guild_channels(self, request: web.Request) -> web.Response:
        return json_response([c.payload() for c in self._guild(request).channels.values()])

    async def guild_roles(self, request: web.Request) -> web.Response:
        return json_response([r.payload() for r in self._guild(request).roles.values()])

    async def guild_member(self, request: web.Request) -> web.Response:
        member = self._guild(request).members.get(snowflake(request, "user_id", "Member", 10007))
        if member is None:
            raise unknown("Member", 10007)
        return json_response(member.payload())


class RestServer:
    """Builds the aiohttp application: REST routes, gateway websocket, attachment downloads."""

    def __init__(self, state: DiscordState, faults: FaultInjector, deadline: float | None) -> None:
        self.state = state
        self.faults = faults
        self.routes = [
            *CoreRoutes(state).routes(),
            *MessageRoutes(state).routes(),
            *InteractionRoutes(state, deadline).routes(),
        ]

    def build(self, gateway_handler: Handler) -> web.Application:
        app = web.Application(middlewares=[self.middleware], client_max_size=64 * 1024 * 1024)
        for method, path, handler in self.routes:
            app.router.add_route(method, API_PREFIX + path, handler)
        app.router.add_get(GATEWAY_PATH, gateway_handler)
        app.router.add_get("/attachments/{channel_id}/{upload_id}/{filename}", self.attachment)
        return app

    async def attachment(self, request: web.Request) -> web.Response:
        upload = self.state.uploads.get(int(request.match_info["upload_id"]))
        if upload is None:
            return web.Response(status=404)
        return web.Response(body=upload.data, content_type=upload.content_type)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        path = request.path[len(API_PREFIX) :]
        payload, uploads = await read_body(request)
        request[JSON_KEY], request[FILES_KEY] = payload, uploads
        record = RequestRecord(
            request.method, path, dict(request.query), payload, files=uploads,
            at=asyncio.get_running_loop().time(),
        )  # fmt: skip
        self.state.requests.append(record)
        response = await self._respond(request, handler, record)
        record.status = response.status
        self.state.changed()
        return response

    async def _respond(
        self, request: web.Request, handler: Handler, record: RequestRecord
    ) -> web.StreamResponse:
        fault = self.faults.take(record.method, record.path)
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if fault.status is not None:
                return json_response(fault.body, fault.status, fault.headers)
        if request.match_info.http_exception is not None:
            self.state.unknown_routes.append(record)
            log.warning("fake discord: unknown route %s %s", record.method, record.path)
            return json_response({"message": "404: Not Found", "code": 0}, 404)
        if not self._authorized(request, record.path):
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        try:
            return await handler(request)
        except ApiError as error:
            return json_response(error.body, error.status)
        except Exception as error:  # a harness bug, surfaced via server_errors
            self.state.crashed(error)
            return json_response({"message": f"fake discord crashed: {error!r}", "code": 0}, 500)

    def _authorized(self, request: web.Request, path: str) -> bool:
        if path == "/gateway" or path.startswith(NO_AUTH_PREFIXES):
            return True
        return request.headers.get("Authorization") == f"Bot {self.state.token}"
