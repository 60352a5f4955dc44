"""The discord.py Bot: receives its services, loads one cog per feature, syncs commands once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.answers import reply_privately
from bot.discord_app.buttons import DYNAMIC_ITEMS, answer_buttons
from bot.discord_app.checks import LyricsRate
from bot.discord_app.formatting import NO_PINGS
from bot.discord_app.identify import IdentifyPacer
from bot.discord_app.option_types import wrong_option
from bot.discord_app.recovery import answer_stranded
from bot.discord_app.streaming import EditBudget
from bot.looplag import LoopLagMonitor
from bot.services.container import Services
from bot.services.errors import UserFacingError
from bot.settings import Settings

log = logging.getLogger(__name__)
EXTENSIONS = (
    "bot.discord_app.cogs.lyrics",
    "bot.discord_app.cogs.song",
    "bot.discord_app.cogs.ratings",
    "bot.discord_app.cogs.stats",
    "bot.discord_app.cogs.training",
    "bot.discord_app.cogs.corpus",
    "bot.discord_app.cogs.presets",
)
GENERIC_ERROR = "Something went wrong on my side; it has been logged. Please try again."


class LyricTree(app_commands.CommandTree["LyricBot"]):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Track every command for shutdown (see `LyricBot.track_current`), and refuse one
        whose options do not have their declared types."""
        self.client.track_current()
        problem = wrong_option(interaction)
        if problem is not None:
            raise app_commands.CheckFailure(problem)
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Known problems become a short private note; anything else is logged in full."""
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.CommandOnCooldown):
            text = f"Slow down a little: try again in {error.retry_after:.0f} s."
        elif isinstance(error, app_commands.CheckFailure):
            text = str(error) or "You can't use that command here."
        elif isinstance(original, UserFacingError):
            text = str(original)
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "command %s failed (interaction %s)", command, interaction.id, exc_info=original
            )
            text = GENERIC_ERROR
        try:
            await reply_privately(interaction, text)
        except discord.HTTPException:
            log.warning("could not tell the user about an error (interaction %s)", interaction.id)


class LyricBot(commands.Bot):
    def __init__(self, settings: Settings, services: Services, **gateway: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_reactions = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_PINGS,
            tree_cls=LyricTree,
            **gateway,
        )
        self.settings = settings
        self.services = services
        self.in_flight: set[asyncio.Task[object]] = set()
        self.draining = False
        self.loop_lag = LoopLagMonitor()
        self._recovery: asyncio.Task[None] | None = None
        self.edit_budget = EditBudget()  # streaming edits, all answers together
        shared = services.db if settings.sharded else None  # one user, several processes
        self.lyrics_rate = LyricsRate(settings.cooldown_rate, settings.cooldown_seconds, shared)

    def track_current(self) -> None:
        """Count the running command or click as in flight until its task ends, so shutdown
        can let it finish; refuse new ones once shutdown has begun."""
        if self.draining:
            raise app_commands.CheckFailure("I'm restarting; please try again in a minute.")
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)

    async def drain(self, grace: float) -> None:
        """Stop taking commands and give running ones up to `grace` seconds to answer."""
        self.draining = True
        if self.in_flight:
            log.info("waiting for %d running command(s) to finish", len(self.in_flight))
            await asyncio.wait(set(self.in_flight), timeout=grace)

    async def setup_hook(self) -> None:
        self.loop_lag.start()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(*DYNAMIC_ITEMS)  # buttons of answers posted before a restart
        await self.sync_commands()
        # Last: a failure above ends this login attempt, and nothing may answer for it.
        self._recovery = asyncio.create_task(answer_stranded(self), name="stranded-requests")
        self.in_flight.add(self._recovery)
        self._recovery.add_done_callback(self.in_flight.discard)

    def answer_view(self, generation_id: int) -> discord.ui.View:
        return answer_buttons(generation_id)

    async def close(self) -> None:
        if self._recovery is not None:
            self._recovery.cancel()
            await asyncio.gather(self._recovery, return_exceptions=True)
        await self.loop_lag.stop()
        await super().close()

    async def sync_commands(self) -> None:
        """Once per process (setup_hook), never on every READY: syncs are rate-limited."""
        if not self.settings.guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))
            return
        for guild_id in self.settings.guild_ids:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild_id)

    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, ..., Any]
    ) -> None:
        latency_ms = (discord.utils.utcnow() - interaction.created_at).total_seconds() * 1000
        log.info(
            "/%s by %s answered (interaction %s, %.0f ms)",
            command.qualified_name, interaction.user.id, interaction.id, latency_ms,
        )  # fmt: skip

    async def on_ready(self) -> None:
        log.info("connected as %s (%s)", self.user, self.user.id if self.user else "?")


class ShardedLyricBot(LyricBot, commands.AutoShardedBot):
    """The same bot over several shards in one process (``--shards 0,1 --shard-count 4``);
    other processes run the other shards against the same database."""

    def __init__(self, settings: Settings, services: Services) -> None:
        super().__init__(
            settings,
            services,
            shard_ids=list(settings.shard_ids) or None,
            shard_count=settings.shard_count or None,
        )
        self.identify_pacer = IdentifyPacer(services.db.backend)
        self._max_concurrency: int | None = None

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Paced across processes through the database, not by discord.py's 5 s sleep."""
        if self._max_concurrency is None:
            _, _, limits = await self.http.get_bot_gateway()
            self._max_concurrency = int(limits["max_concurrency"])
        await self.identify_pacer.wait_turn(shard_id or 0, self._max_concurrency)

    async def close(self) -> None:
        await self.identify_pacer.close()
        await super().close()


def make_bot(settings: Settings, services: Services) -> LyricBot:
    """A sharded bot when shards are configured, else the plain one-connection bot."""
    if settings.sharded:
        return ShardedLyricBot(settings, services)
    return LyricBot(settings, services)


def health_report(services: Services, bot: LyricBot | None) -> dict[str, object]:
    """What the health endpoint reports; healthy means connected with a model loaded.
    `bot` is None until a login succeeds: the state is "connecting" until the gateway is up."""
    engine = services.engine
    connected = bot is not None and bot.is_ready() and not bot.is_closed()
    model_loaded = engine.loaded_generator(engine.default_model) is not None
    return {
        "healthy": connected and model_loaded,
        "state": "connected" if connected else "connecting",
        "gateway_connected": connected,
        "model_loaded": model_loaded,
        "warming_up": engine.warming_up,
        "serving_model": engine.default_model,
        "queue_depth": engine.queue.depth,
        "training": services.training.job is not None,
        "draining": bot is not None and bot.draining,
        "generating_rows": engine.active_rows,
        "loop_lag_ms": bot.loop_lag.summary() if bot is not None else None,
    }
