"""Training runs from start to finish, runs left behind by a crash, and bad outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.storage import Database, NewTrainingRun, StorageError, UnknownRunError

OWNER = 1_000_000_000_000_000_001
PARAMS = {"epochs": 3, "hidden": 256, "lr": 0.002}


def _run(**overrides: Any) -> NewTrainingRun:
    fields: dict[str, Any] = {
        "trigger": "manual",
        "level": "quick",
        "params": PARAMS,
        "requested_by": OWNER,
    }
    fields.update(overrides)
    return NewTrainingRun(**fields)


async def test_run_lifecycle_from_start_to_promotion(db: Database) -> None:
    before = datetime.now(UTC)
    run_id = await db.start_training_run(_run(corpus_fingerprint="sha256:abc"))

    running = await db.get_training_run(run_id)
    assert running is not None
    assert (running.trigger, running.level, running.requested_by, running.outcome) == (
        "manual",
        "quick",
        OWNER,
        "running",
    )
    assert dict(running.params) == PARAMS
    assert before <= running.started_at <= datetime.now(UTC)
    assert (running.ended_at, running.metrics, running.reason, running.model_version) == (
        None,
        None,
        None,
        None,
    )
    assert await db.running_training_runs() == [running]
    assert await db.last_training_run() == running
    assert await db.last_training_run(finished_only=True) is None

    metrics = {"val_loss": 1.84, "val_perplexity": 6.3, "epochs_done": 3}
    done = await db.finish_training_run(
        run_id, "promoted", metrics=metrics, model_version="lstm-v2"
    )
    assert (done.outcome, done.model_version, done.error) == ("promoted", "lstm-v2", None)
    assert done.metrics is not None and dict(done.metrics) == metrics
    assert done.corpus_fingerprint == "sha256:abc"  # kept from the start
    assert done.ended_at is not None and done.started_at <= done.ended_at
    assert await db.get_training_run(run_id) == done
    assert await db.running_training_runs() == []
    assert await db.last_training_run(finished_only=True) == done


async def test_not_promoted_and_failed_runs_keep_their_reasons(db: Database) -> None:
    first = await db.start_training_run(_run(trigger="scheduled", requested_by=None))
    not_promoted = await db.finish_training_run(
        first,
        "not_promoted",
        reason="validation loss 2.10 is worse than the current model's 1.84",
        metrics={"val_loss": 2.1},
        corpus_fingerprint="sha256:def",
    )
    assert not_promoted.reason is not None and "worse" in not_promoted.reason
    assert not_promoted.corpus_fingerprint == "sha256:def"
    assert not_promoted.requested_by is None

    second = await db.start_training_run(_run())
    failed = await db.finish_training_run(
        second, "failed", reason="training crashed", error="RuntimeError: CUDA out of memory"
    )
    assert (failed.outcome, failed.reason, failed.error, failed.metrics) == (
        "failed",
        "training crashed",
        "RuntimeError: CUDA out of memory",
        None,
    )


async def test_finishing_an_unknown_run_is_refused(db: Database) -> None:
    with pytest.raises(UnknownRunError, match="no training run with id 404") as raised:
        await db.finish_training_run(404, "skipped", reason="nothing new to learn")
    assert raised.value.run_id == 404
    assert isinstance(raised.value, StorageError)
    assert await db.get_training_run(404) is None


@pytest.mark.parametrize("outcome", ["running", "done", ""])
async def test_a_run_cannot_finish_as_running_or_unknown(db: Database, outcome: str) -> None:
    run_id = await db.start_training_run(_run())
    with pytest.raises(ValueError, match="outcome"):
        await db.finish_training_run(run_id, outcome)  # type: ignore[arg-type]
    run = await db.get_training_run(run_id)
    assert run is not None and (run.outcome, run.ended_at) == ("running", None)


async def test_metrics_must_be_plain_json(db: Database) -> None:
    run_id = await db.start_training_run(_run())
    with pytest.raises(ValueError):
        await db.finish_training_run(run_id, "failed", metrics={"val_loss": float("nan")})
    with pytest.raises(ValueError, match="metrics"):
        await db.finish_training_run(run_id, "failed", metrics=[("val_loss", 1.0)])  # type: ignore[arg-type]
    run = await db.get_training_run(run_id)
    assert run is not None and run.outcome == "running"


async def test_runs_left_running_by_a_crash_are_marked_interrupted(db: Database) -> None:
    finished = await db.start_training_run(_run())
    await db.finish_training_run(finished, "skipped", reason="no new approved lyrics")
    orphans = [await db.start_training_run(_run()) for _ in range(2)]

    assert await db.mark_interrupted_runs("the bot restarted while training") == 2
    assert await db.running_training_runs() == []
    for run_id in orphans:
        run = await db.get_training_run(run_id)
        assert run is not None
        assert (run.outcome, run.reason, run.ended_at) == (
            "interrupted",
            "the bot restarted while training",
            None,
        )
    untouched = await db.get_training_run(finished)
    assert untouched is not None
    assert (untouched.outcome, untouched.reason) == ("skipped", "no new approved lyrics")
    assert await db.mark_interrupted_runs("again") == 0


async def test_last_run_is_the_latest_started(db: Database) -> None:
    now = datetime.now(UTC)
    newer = await db.start_training_run(_run(started_at=now - timedelta(hours=1)))
    await db.finish_training_run(newer, "promoted", model_version="lstm-v3")
    # Inserted later but started earlier (say, a back-filled starter run).
    older = await db.start_training_run(_run(trigger="starter", started_at=now - timedelta(days=1)))
    await db.finish_training_run(older, "promoted", model_version="starter")
    last = await db.last_training_run()
    assert last is not None and last.id == newer

    current = await db.start_training_run(_run())
    last = await db.last_training_run()
    assert last is not None and last.id == current
    last_finished = await db.last_training_run(finished_only=True)
    assert last_finished is not None and last_finished.id == newer


async def test_params_and_metrics_are_read_only(db: Database) -> None:
    params = dict(PARAMS)
    new = _run(params=params)
    params["epochs"] = 99  # a later change by the caller does not leak in
    run_id = await db.start_training_run(new)
    run = await db.finish_training_run(run_id, "promoted", metrics={"val_loss": 1.5})
    assert run.params["epochs"] == 3
    with pytest.raises(TypeError):
        run.params["epochs"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        run.metrics["val_loss"] = 0.0  # type: ignore[index]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"trigger": "cron"}, "trigger"),
        ({"level": " "}, "level"),
        ({"params": [("epochs", 3)]}, "params"),
        ({"started_at": datetime(2024, 1, 1)}, "timezone"),
    ],
)
def test_invalid_new_run_is_rejected(overrides, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _run(**overrides)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("trigger", "cron"),
        ("outcome", "done"),
        ("outcome", "Running"),
        ("params_json", "[1, 2]"),
        ("params_json", "not json"),
        ("metrics_json", "3"),
    ],
)
async def test_schema_rejects_bad_values_written_around_the_api(
    db: Database, write_around_api, schema_refusal, column: str, value: str
) -> None:
    values = {
        "trigger": "manual",
        "started_at": "2024-01-01T00:00:00.000000+00:00",
        "level": "quick",
        "params_json": "{}",
        "outcome": "running",
    }
    values[column] = value
    with pytest.raises(schema_refusal):
        await write_around_api(
            f"INSERT INTO training_runs ({', '.join(values)})"
            f" VALUES ({', '.join('?' for _ in values)})",
            tuple(values.values()),
        )
    assert await db.last_training_run() is None
