"""/retrain, /schedule and /model: retraining and the serving model, for admins."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import admin_only
from bot.discord_app.client import LyricBot, reply_privately
from bot.discord_app.formatting import NO_PINGS, escape
from bot.services.plots import loss_curve_png
from bot.services.reports import describe_model, describe_run, describe_schedule
from bot.services.training import AlreadyTraining, RetrainRequest, TrainingJob

log = logging.getLogger(__name__)


class TrainingCog(commands.Cog):
    model = app_commands.Group(name="model", description="The model that writes the lyrics")

    def __init__(self, bot: LyricBot) -> None:
        self.bot = bot

    @app_commands.command(name="retrain", description="Retrain on the approved corpus (admins)")
    @app_commands.describe(
        level="Characters or words",
        epochs="Most epochs to train",
        minutes="Time budget in minutes",
        force="Retrain even if the approved corpus is unchanged",
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(admin_only)
    async def retrain(
        self,
        interaction: discord.Interaction,
        level: Literal["char", "word"] = "char",
        epochs: app_commands.Range[int, 1, 500] | None = None,
        minutes: app_commands.Range[float, 0.1, 240.0] | None = None,
        force: bool = False,
    ) -> None:
        training = self.bot.services.training
        if training.job is not None:
            await reply_privately(interaction, str(AlreadyTraining(training.job)))
            return
        request = RetrainRequest(
            trigger="manual", requested_by=interaction.user.id, level=level,
            epochs=epochs, minutes=minutes, force=force,
        )  # fmt: skip
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="🛠️ Retraining: starting…")

        async def show(job: TrainingJob) -> None:
            await interaction.edit_original_response(content=f"🛠️ Retraining {job.describe()}")

        run = await training.retrain(request, show)
        await self._final(interaction, f"🛠️ {describe_run(run)}")

    async def _final(self, interaction: discord.Interaction, text: str) -> None:
        """A long run can outlive the interaction's 15-minute token: then post normally."""
        try:
            await interaction.edit_original_response(content=text, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            channel = interaction.channel
            if isinstance(channel, discord.abc.Messageable):
                await channel.send(text, allowed_mentions=NO_PINGS)

    @app_commands.command(name="schedule", description="The nightly retrain (admins)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(admin_only)
    async def schedule(self, interaction: discord.Interaction) -> None:
        services = self.bot.services
        last = await services.db.last_training_run()
        text = describe_schedule(services.nightly.next_run(), last, services.training.job)
        await reply_privately(interaction, text)

    @model.command(name="show", description="The serving model, its metrics and loss curve")
    async def show(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        generator = await self.bot.services.engine.generator_for(None)
        loaded = generator.model
        loop = asyncio.get_running_loop()
        png = await loop.run_in_executor(None, loss_curve_png, loaded.metrics, loaded.version)
        await interaction.edit_original_response(
            content=escape(describe_model(self.bot.services.engine.default_model, loaded)),
            attachments=[discord.File(io.BytesIO(png), filename="loss.png")],
        )

    @model.command(name="rollback", description="Serve an earlier model version (admins)")
    @app_commands.describe(version="The version to serve")
    @app_commands.check(admin_only)
    async def rollback(self, interaction: discord.Interaction, version: str) -> None:
        engine = self.bot.services.engine
        engine.check_model(version)
        await interaction.response.defer(thinking=True)
        generator = await engine.serve(version)
        await interaction.edit_original_response(
            content=escape(f"Now serving {version} ({generator.model.version}).")
        )

    @rollback.autocomplete("version")
    async def versions(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = [n for n in self.bot.services.engine.model_names() if current in n]
        return [app_commands.Choice(name=n, value=n) for n in names[-25:]]


async def setup(bot: LyricBot) -> None:
    await bot.add_cog(TrainingCog(bot))
