"""Two bot processes' services on one database, on both backends: the nightly retrain runs in
exactly one, a model promoted by one is served by the other without a restart, and one's
start-up leaves the other's training run alone."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path

import pytest

from bot.services.container import Services, open_services
from bot.services.errors import UserFacingError
from bot.services.training import TRAINING_LOCK, RetrainRequest
from bot.settings import Settings
from bot.storage import NewTrainingRun
from bot.storage.locks import try_lock


@pytest.fixture(params=["sqlite", "postgres"])
def shared_settings(
    request: pytest.FixtureRequest, settings: Settings, starter_tiny_model: Path
) -> Settings:
    """One database and one models folder for both; the serving model was trained on the
    approved corpus as it stands, so a nightly run finds nothing new and is quick."""
    url = "" if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))
    models = settings.models_dir.with_name("shared-models")
    shutil.copytree(starter_tiny_model, models / "starter")
    return replace(settings, database_url=url, models_dir=models, serving_poll_seconds=0.05)


@pytest.fixture
async def two(shared_settings: Settings) -> AsyncIterator[tuple[Services, Services]]:
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(open_services(shared_settings))
        second = await stack.enter_async_context(open_services(shared_settings))
        yield first, second


async def test_the_nightly_retrain_runs_in_exactly_one_process(two) -> None:
    first, second = two
    await asyncio.gather(first.nightly.run_once(), second.nightly.run_once())
    await asyncio.gather(first.nightly.run_once(), second.nightly.run_once())  # same night
    run = await first.db.last_training_run()
    assert run is not None and run.trigger == "scheduled" and run.outcome == "skipped"
    assert run.id == 1  # one row: the other process, and the second firing, did not run it


async def test_a_promotion_in_one_process_reaches_the_other(two, char_model: Path) -> None:
    first, second = two
    models = first.settings.models_dir
    shutil.copytree(char_model, models / "v0002-promoted")
    assert second.engine.default_model == "starter"
    await first.engine.serve("v0002-promoted")
    await asyncio.sleep(0.1)  # past the poll interval
    assert second.engine.default_model == "v0002-promoted"
    generator = await second.engine.generator_for(None)
    assert generator is second.engine.loaded_generator("v0002-promoted")


async def test_a_start_leaves_another_process_training_run_alone(
    shared_settings: Settings, two
) -> None:
    first, _ = two
    new = NewTrainingRun(trigger="manual", level="char", params={})
    run_id = await first.db.start_training_run(new)
    async with try_lock(first.db.backend, TRAINING_LOCK) as mine:
        assert mine  # as a training process holds it
        async with open_services(shared_settings) as third:
            run = await third.db.get_training_run(run_id)
            assert run is not None and run.outcome == "running"
            with pytest.raises(UserFacingError, match="another bot process"):
                await third.training.retrain(RetrainRequest(trigger="manual"))
