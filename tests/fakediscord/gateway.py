"""The fake gateway: a websocket speaking Discord's gateway protocol to one real discord.py bot.

discord.py 2.7 connects with ``?v=10&encoding=json&compress=zlib-stream`` (``zstd-stream`` when
``zstandard`` or Python 3.14's ``compression.zstd`` is importable). For zlib-stream every
payload is compressed with one shared ``compressobj`` per connection and ends in a
``Z_SYNC_FLUSH`` (``00 00 ff ff``), which is how the client finds message boundaries. The
client also accepts plain text frames, which is the fallback for anything else.

Events are dispatched to a *session* with increasing sequence numbers and kept, so a client
that reconnects with RESUME gets what it missed; one whose session was invalidated gets
op 9 and identifies again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME = 0, 1, 2, 3, 4, 6
RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 7, 8, 9, 10, 11

GUILDS, GUILD_MEMBERS, GUILD_PRESENCES = 1 << 0, 1 << 1, 1 << 8
GUILD_MESSAGES, GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGES = 1 << 9, 1 << 10, 1 << 12
DIRECT_MESSAGE_REACTIONS, MESSAGE_CONTENT = 1 << 13, 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class Encoder(Protocol):
    def encode(self, text: str) -> str | bytes: ...


class PlainEncoder:
    """Text frames: what the client gets when it asked for no (or unknown) compression."""

    def encode(self, text: str) -> str | bytes:
        return text


class ZlibStreamEncoder:
    """zlib-stream: one deflate stream per connection, each payload sync-flushed."""

    def __init__(self) -> None:
        self._compressor = zlib.compressobj()

    def encode(self, text: str) -> str | bytes:
        raw = text.encode()
        return self._compressor.compress(raw) + self._compressor.flush(zlib.Z_SYNC_FLUSH)


class ZstdStreamEncoder:
    """zstd-stream: one zstd stream per connection, each payload block-flushed."""

    def __init__(self) -> None:
        self._pack: Callable[[bytes], bytes]
        try:
            from compression import zstd  # type: ignore[import-not-found,unused-ignore]

            compressor = zstd.ZstdCompressor()  # Python 3.14+
            mode = zstd.ZstdCompressor.FLUSH_BLOCK
            self._pack = lambda raw: bytes(compressor.compress(raw, mode=mode))
        except ImportError:
            import zstandard  # type: ignore[import-not-found,unused-ignore]

            stream = zstandard.ZstdCompressor().compressobj()
            flush = zstandard.COMPRESSOBJ_FLUSH_BLOCK
            self._pack = lambda raw: bytes(stream.compress(raw) + stream.flush(flush))

    def encode(self, text: str) -> str | bytes:
        return self._pack(text.encode())


def make_encoder(compress: str | None) -> Encoder:
    """Picks the encoder for the ``compress`` query parameter the client sent."""
    if compress == "zlib-stream":
        return ZlibStreamEncoder()
    if compress == "zstd-stream":
        try:
            return ZstdStreamEncoder()
        except ImportError:
            log.warning("zstd-stream asked for but no zstd compressor importable; sending text")
    return PlainEncoder()


@dataclass(eq=False)
class Connection:
    """One websocket; its lock keeps compress-then-send atomic so the stream stays in order."""

    ws: web.WebSocketResponse
    encoder: Encoder
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: Session | None = None

    async def send(self, payload: dict[str, Any]) -> None:
        async with self.lock:
            await self.send_locked(payload)

    async def send_locked(self, payload: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        frame = self.encoder.encode(json.dumps(payload, separators=(",", ":")))
        try:
            if isinstance(frame, bytes):
                await self.ws.send_bytes(frame)
            else:
                await self.ws.send_str(frame)
        except ConnectionError:
            log.debug("gateway send on a closing socket dropped")


def owns(shard: tuple[int, int] | None, guild_id: int) -> bool:
    """Whether a session identified as ``shard`` ([id, count]; None: unsharded) gets the
    guild's events: Discord routes a guild to shard ``(guild_id >> 22) % count``."""
    return shard is None or (guild_id >> 22) % shard[1] == shard[0]


@dataclass(eq=False)
class Session:
    """A gateway session: its intents, shard, sequence counter and every event sent to it."""

    id: str
    intents: int
    shard: tuple[int, int] | None = None
    seq: int = 0
    backlog: list[dict[str, Any]] = field(default_factory=list)
    connection: Connection | None = None

    def frame(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.backlog.append(payload)
        return payload


@dataclass
class GatewayHooks:
    """What the gateway needs from the rest of the fake, supplied by ``FakeDiscord``."""

    token: str
    ready_payload: Callable[[Session], dict[str, Any]]
    guild_payloads: Callable[[], list[dict[str, Any]]]
    member_chunk: Callable[[dict[str, Any]], dict[str, Any] | None]
    changed: Callable[[], None]
    crashed: Callable[[BaseException], None]


class Gateway:
    """Serves the websocket and owns the sessions; ``dispatch`` is how events reach the bot."""

    def __init__(self, hooks: GatewayHooks, heartbeat_interval_ms: int, privileged: int) -> None:
        self.hooks = hooks
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.allowed_privileged = privileged
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        self.connections: set[Connection] = set()
        self.identify_count = 0
        self.identified: list[tuple[int | None, float]] = []  # (shard id, loop time)
        self.by_shard: dict[int, Session] = {}
        self.resume_count = 0
        self.received: list[dict[str, Any]] = []
        self.connect_queries: list[dict[str, str]] = []
        self.filtered: list[tuple[str, dict[str, Any]]] = []

    @property
    def connected(self) -> bool:
        session = self.current
        return session is not None and session.connection is not None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler for the gateway URL."""
        ws = web.WebSocketResponse(compress=False, max_msg_size=0)
        await ws.prepare(request)
        self.connect_queries.append(dict(request.query))
        conn = Connection(ws=ws, encoder=make_encoder(request.query.get("compress")))
        self.connections.add(conn)
        try:
            await conn.send({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            await self._serve(conn)
        except Exception as error:  # a harness bug: record it so the test fails, then hang up
            self.hooks.crashed(error)
            await ws.close(code=4000, message=b"fake gateway crashed")
        finally:
            self._detach(conn)
        return ws

    async def _serve(self, conn: Connection) -> None:
        handlers: dict[int, Callable[[Connection, Any], Awaitable[None]]] = {
            HEARTBEAT: self._on_heartbeat,
            IDENTIFY: self._on_identify,
            RESUME: self._on_resume,
            REQUEST_MEMBERS: self._on_request_members,
        }
        async for msg in conn.ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            payload = json.loads(msg.data)
            self.received.append(payload)
            handler = handlers.get(payload.get("op"))
            if handler is not None:
                await handler(conn, payload.get("d"))

    def _detach(self, conn: Connection) -> None:
        self.connections.discard(conn)
        if conn.session is not None and conn.session.connection is conn:
            conn.session.connection = None
        self.hooks.changed()

    async def _on_heartbeat(self, conn: Connection, _: Any) -> None:
        await conn.send({"op": HEARTBEAT_ACK})

    async def _on_identify(self, conn: Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self.hooks.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = data.get("shard")
        shard_of = (int(shard[0]), int(shard[1])) if shard else None
        session = Session(id=secrets.token_hex(16), intents=intents, shard=shard_of)
        self.sessions[session.id] = session
        self.current = session
        if shard_of is not None:
            self.by_shard[shard_of[0]] = session
        self.identified.append(
            (shard_of[0] if shard_of else None, asyncio.get_running_loop().time())
        )
        async with conn.lock:
            await self._attach(conn, session)
            await conn.send_locked(session.frame("READY", self.hooks.ready_payload(session)))
            for guild in self.hooks.guild_payloads():
                if owns(shard_of, int(guild["id"])):
                    await conn.send_locked(session.frame("GUILD_CREATE", guild))
        self.identify_count += 1
        self.hooks.changed()

    async def _on_resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.hooks.token:
            await conn.send({"op": INVALID_SESSION, "d": False})
            return
        last_seen = int(data.get("seq") or 0)
        async with conn.lock:
            await self._attach(conn, session)
            for payload in [p for p in session.backlog if p["s"] > last_seen]:
                await conn.send_locked(payload)
            await conn.send_locked(session.frame("RESUMED", {}))
        self.resume_count += 1
        self.hooks.changed()

    async def _attach(self, conn: Connection, session: Session) -> None:
        old, session.connection = session.connection, conn
        if old is not None and old is not conn:
            await old.ws.close(code=4000, message=b"session taken over")
        conn.session = session

    async def _on_request_members(self, conn: Connection, data: dict[str, Any]) -> None:
        session = conn.session
        chunk = self.hooks.member_chunk(data)
        if session is not None and chunk is not None:
            await conn.send(session.frame("GUILD_MEMBERS_CHUNK", chunk))

    async def dispatch(self, event: str, data: dict[str, Any], intent: int | None = None) -> bool:
        """Sends an event to the current session, or with shards to the one whose shard holds
        the event's guild; False when its intents filter it out.

        While the bot is disconnected the event waits in the session's backlog for a RESUME;
        a session that was invalidated loses it, as on Discord.
        """
        session = self._session_for(data)
        if session is None:
            raise RuntimeError(f"cannot dispatch {event}: the bot has not identified yet")
        if session.id not in self.sessions:
            log.warning("%s dispatched to an invalidated session: the bot will never see it", event)
        if intent is not None and not session.intents & intent:
            self.filtered.append((event, data))
            return False
        payload = session.frame(event, data)
        conn = session.connection
        if conn is not None:
            await conn.send(payload)
        return True

    def _session_for(self, data: dict[str, Any]) -> Session | None:
        guild_id = data.get("guild_id")
        if not self.by_shard or guild_id is None:
            return self.current
        count = next(iter(self.by_shard.values())).shard[1]  # type: ignore[index]
        session = self.by_shard.get((int(guild_id) >> 22) % count)
        if session is None:
            raise RuntimeError(f"no bot process has identified for guild {guild_id}'s shard")
        return session

    async def drop(self, code: int = 4000, *, invalidate: bool = False) -> None:
        """Closes the current connection; with ``invalidate`` the session cannot be resumed."""
        session = self.current
        if session is None:
            return
        if invalidate:
            self.sessions.pop(session.id, None)
        conn, session.connection = session.connection, None  # disconnected from now on
        self.hooks.changed()
        if conn is not None:
            await conn.ws.close(code=code, message=b"dropped by test")

    async def send_op(self, op: int, data: Any = None) -> None:
        """Sends a raw opcode (e.g. 7 RECONNECT, 9 INVALID_SESSION) to the current connection."""
        session = self.current
        if session is not None and session.connection is not None:
            await session.connection.send({"op": op, "d": data})

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await conn.ws.close(code=1001, message=b"fake discord shutting down")
