"""``FakeDiscord``: start the fake, make people, act as users, inspect and break things.

Usage::

    async with FakeDiscord() as discord:
        env = {"DISCORD_TOKEN": discord.token, "GUILD_ID": str(discord.guild_id)}
        async with BotProcess(discord, ["bot", "run"], env=env, cwd=tmp_path) as bot:
            await discord.wait_until_synced()      # setup_hook syncs before the gateway...
            await discord.wait_until_identified()  # ...so wait for both
            interaction = await discord.invoke_slash("lyrics", {"seed": "we drift"})
            reply = await interaction.wait_for_reply()
            assert not reply.ephemeral
        assert discord.unknown_routes == [] and discord.server_errors == []
"""

# ruff: noqa: ASYNC109 - test helpers take `timeout` so a timeout can say what it awaited

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aiohttp import web

from .actions import UserActions
from .faults import FaultInjector, FaultRule
from .gateway import PRIVILEGED_INTENTS, Gateway, GatewayHooks, Session, owns
from .interactions import FakeInteraction
from .models import FakeGuild, FakeMember, FakeRole, FakeUser, GuildSpec, MessageRecord, Perm
from .rest import API_PREFIX, GATEWAY_PATH, RestServer
from .state import DiscordState, SyncCall
from .waiting import ChangeSignal

log = logging.getLogger(__name__)
T = TypeVar("T")


class FakeDiscord(UserActions):
    """A fake Discord (REST + gateway) on 127.0.0.1 for one real discord.py bot process.

    ``guilds``: one guild per spec (default: one guild with a #general channel); the first
    one's id and first channel are ``guild_id``/``channel_id``, the defaults of every action.
    ``interaction_deadline``: seconds the bot has for its first callback (Discord's 3 s);
    later ones get 404 "Unknown interaction". None turns the check off.
    ``privileged_intents``: those "enabled in the developer portal"; identifying with any
    other privileged intent is closed with 4014, as on Discord.
    ``ui_settle``: how long after a message or modal appears a click or submit may come
    (see ``UserActions._settle``).
    ``port``: serve on this port instead of a free one, so a bot can be pointed at a Discord
    that is not up yet (start it later, or stop and start it again: an outage).
    """

    def __init__(
        self,
        guilds: Sequence[GuildSpec] | None = None,
        *,
        heartbeat_interval_ms: int = 41_250,
        interaction_deadline: float | None = 3.0,
        privileged_intents: int = PRIVILEGED_INTENTS,
        ui_settle: float = 0.5,
        port: int | None = None,
        shard_count: int = 1,
    ) -> None:
        self.state = DiscordState(signal=ChangeSignal(), shard_count=shard_count)
        self.ui_settle = ui_settle
        self.faults = FaultInjector()
        for spec in guilds or [GuildSpec()]:
            self.state.add_guild(spec)
        first = next(iter(self.state.guilds.values()))
        self.guild_id: int = first.id
        self.channel_id: int = next(iter(first.channels))
        self.user: FakeMember = self.make_member("tester")
        hooks = GatewayHooks(
            token=self.state.token,
            ready_payload=self._ready_payload,
            guild_payloads=lambda: [g.payload() for g in self.state.guilds.values()],
            member_chunk=self._member_chunk,
            changed=self.state.changed,
            crashed=self.state.crashed,
        )
        self.gateway = Gateway(hooks, heartbeat_interval_ms, privileged_intents)
        self.state.gateway = self.gateway
        self._rest = RestServer(self.state, self.faults, interaction_deadline)
        self._runner: web.AppRunner | None = None
        self._socket: socket.socket | None = None
        self._port = port or 0
        if port:
            self.state.origin = f"http://127.0.0.1:{port}"

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Binds a free port on 127.0.0.1 and serves REST, the gateway and attachments."""
        self._socket = sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))
        self.state.origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
        app = self._rest.build(self.gateway.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    # -- identity ----------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to (launch.py does it)."""
        return self.state.origin + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return self.state.origin.replace("http://", "ws://") + GATEWAY_PATH

    @property
    def token(self) -> str:
        """The only bot token the fake accepts (REST 401 / gateway close 4004 otherwise)."""
        return self.state.token

    @property
    def app_id(self) -> int:
        return self.state.app_id

    @property
    def bot_user(self) -> FakeUser:
        return self.state.bot

    @property
    def owner(self) -> FakeMember:
        """The application owner (what ``Bot.is_owner`` checks), also the guild owner."""
        member = self.state.member(self.guild_id, self.state.owner.id)
        assert member is not None
        return member

    @property
    def guild(self) -> FakeGuild:
        return self.state.guilds[self.guild_id]

    # -- people ------------------------------------------------------------------------------

    def make_user(self, name: str) -> FakeUser:
        """A user in no guild (for DMs, or to show non-members are refused)."""
        return self.state.add_user(name)

    def add_role(self, name: str, permissions: int, *, guild_id: int | None = None) -> FakeRole:
        return self.state.add_role(guild_id or self.guild_id, name, permissions)

    def make_member(
        self,
        name: str,
        *,
        permissions: int = 0,
        roles: Sequence[FakeRole] = (),
        guild_id: int | None = None,
    ) -> FakeMember:
        """A guild member; ``permissions`` adds a role named after them that grants those.

        Members made after the bot identified reach it only through interaction payloads
        (no GUILD_MEMBER_ADD is sent): make them before starting the bot to have them cached.
        """
        guild_id = guild_id or self.guild_id
        role_ids = [r.id for r in roles]
        if permissions:
            role_ids.append(self.add_role(f"{name}-role", permissions, guild_id=guild_id).id)
        member = FakeMember(self.state.add_user(name), guild_id, role_ids)
        self.state.guilds[guild_id].members[member.id] = member
        return member

    def make_admin(self, name: str = "admin", *, guild_id: int | None = None) -> FakeMember:
        """A member with Manage Server (not Administrator), the usual bar for admin commands."""
        return self.make_member(name, permissions=int(Perm.MANAGE_GUILD), guild_id=guild_id)

    # -- what happened -----------------------------------------------------------------------

    @property
    def messages(self) -> list[MessageRecord]:
        return list(self.state.messages.values())

    @property
    def requests(self) -> list[Any]:
        return self.state.requests

    @property
    def unknown_routes(self) -> list[Any]:
        return self.state.unknown_routes

    @property
    def server_errors(self) -> list[str]:
        """Tracebacks of bugs in the fake itself (tests should assert this stays empty)."""
        return self.state.server_errors

    @property
    def sync_calls(self) -> list[SyncCall]:
        return self.state.sync_calls

    @property
    def interactions(self) -> list[FakeInteraction]:
        return list(self.state.interactions.values())

    @property
    def identify_count(self) -> int:
        return self.gateway.identify_count

    @property
    def identified(self) -> list[tuple[int | None, float]]:
        """Every IDENTIFY: its shard id (None unsharded) and when it came, in loop time."""
        return self.gateway.identified

    @property
    def guild_ids(self) -> list[int]:
        return list(self.state.guilds)

    @property
    def resume_count(self) -> int:
        return self.gateway.resume_count

    @property
    def intents(self) -> int | None:
        """The intents of the current gateway session (None before the bot identifies)."""
        session = self.gateway.current
        return session.intents if session else None

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Commands as last synced: globally (``guild_id=None``) or to one guild."""
        return self.state.commands.get(guild_id, [])

    def message(self, message_id: int) -> MessageRecord:
        return self._message(message_id)

    def reactions(self, message: MessageRecord | int) -> list[str]:
        """The emoji the bot itself has on a message, in the order it added them."""
        record = self._message(message)
        return [r.emoji for r in record.reactions if r.user_id == self.state.bot.id]

    # -- waiting -----------------------------------------------------------------------------

    async def wait_until_identified(self, timeout: float = 15.0, *, count: int = 1) -> None:
        """Until the bot has sent IDENTIFY ``count`` times in total and is connected now."""

        def probe() -> bool | None:
            return True if self.identify_count >= count and self.gateway.connected else None

        await self._wait(probe, timeout, f"IDENTIFY #{count}")

    async def wait_until_connected(self, timeout: float = 15.0) -> None:
        """Until a session is live again (after a RESUME or a new IDENTIFY)."""
        await self._wait(lambda: True if self.gateway.connected else None, timeout, "a gateway")

    async def wait_until_synced(self, timeout: float = 15.0, *, count: int = 1) -> list[SyncCall]:
        """Until the bot has bulk-synced commands ``count`` times (any scope)."""

        def probe() -> list[SyncCall] | None:
            return self.sync_calls if len(self.sync_calls) >= count else None

        return await self._wait(probe, timeout, f"{count} command sync(s)")

    async def wait_for_reactions(
        self, message: MessageRecord | int, count: int = 1, timeout: float = 10.0
    ) -> list[str]:
        """Until the bot has put ``count`` reactions on the message."""

        def probe() -> list[str] | None:
            found = self.reactions(message)
            return found if len(found) >= count else None

        return await self._wait(probe, timeout, f"{count} bot reaction(s)")

    async def wait_for_message(
        self, predicate: Callable[[MessageRecord], bool], timeout: float = 10.0
    ) -> MessageRecord:
        """Until any stored message matches (e.g. a channel post the bot makes on its own)."""

        def probe() -> MessageRecord | None:
            return next((m for m in self.messages if predicate(m)), None)

        return await self._wait(probe, timeout, "a matching message")

    async def wait_for_request(self, method: str, path_regex: str, timeout: float = 10.0) -> Any:
        """Until the bot has made a matching REST call; returns its record."""
        pattern = re.compile(path_regex)

        def probe() -> Any:
            return next(
                (r for r in self.requests if r.method == method and pattern.search(r.path)), None
            )

        return await self._wait(probe, timeout, f"{method} {path_regex}")

    async def _wait(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        return await self.state.signal.wait_for(probe, timeout, what, self._recent_requests)

    def _recent_requests(self) -> str:
        recent = ", ".join(f"{r.method} {r.path} -> {r.status}" for r in self.requests[-8:])
        crashes = f"; FAKE CRASHED:\n{self.server_errors[-1]}" if self.server_errors else ""
        unknown = len(self.unknown_routes)
        return f"last requests: {recent or 'none'}; unknown routes: {unknown}{crashes}"

    # -- faults ------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int = 500,
        *,
        retry_after: float = 0.1,
        times: int = 1,
        is_global: bool = False,
    ) -> None:
        """The next ``times`` matching calls (``method`` may be "*") answer ``status``."""
        pattern = re.compile(path_regex)
        rule = FaultRule(method.upper(), pattern, times, status, retry_after, is_global=is_global)
        self.faults.add(rule)

    def delay_next(self, method: str, path_regex: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` matching calls are answered ``seconds`` late."""
        self.faults.add(FaultRule(method.upper(), re.compile(path_regex), times, delay=seconds))

    async def drop_gateway(self, code: int = 4000, *, invalidate_session: bool = False) -> None:
        """Closes the bot's websocket; it RESUMEs, or re-IDENTIFYs if the session is invalid."""
        await self.gateway.drop(code, invalidate=invalidate_session)

    # -- gateway hooks -----------------------------------------------------------------------

    def _ready_payload(self, session: Session) -> dict[str, Any]:
        """READY: discord.py needs user, guilds, session_id and resume_gateway_url."""
        return {
            "v": 10,
            "user": self.state.bot.payload() | {"verified": True, "mfa_enabled": False},
            "guilds": [
                {"id": str(g), "unavailable": True}
                for g in self.state.guilds
                if owns(session.shard, g)
            ],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.state.app_id), "flags": 0},
            "shard": list(session.shard or (0, 1)),
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
        }

    def _member_chunk(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """Answers op 8 REQUEST_GUILD_MEMBERS with one GUILD_MEMBERS_CHUNK."""
        guild = self.state.guilds.get(int(request.get("guild_id") or 0))
        if guild is None:
            return None
        members = list(guild.members.values())
        if request.get("user_ids"):
            wanted = {int(u) for u in request["user_ids"]}
            members = [m for m in members if m.id in wanted]
        query = request.get("query") or ""
        members = [m for m in members if m.user.username.startswith(query)]
        if request.get("limit"):
            members = members[: int(request["limit"])]
        return {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "nonce": request.get("nonce"),
        }
