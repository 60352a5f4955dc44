"""Plain-text descriptions of runs, models, schedules and corpus entries, shared by the
Discord commands and the console (each escapes or prints them as it needs)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.services.training import TrainingJob
from bot.storage import CorpusEntry, TrainingRun
from lyriccore.checkpoint import LoadedModel


def describe_run(run: TrainingRun) -> str:
    text = f"Run #{run.id} ({run.trigger}): {run.outcome.replace('_', ' ')}"
    if run.reason:
        text += f" — {run.reason}"
    if run.error:
        text += f"\nError: {run.error[-300:]}"
    return text


def describe_schedule(
    next_run: datetime | None, last: TrainingRun | None, job: TrainingJob | None
) -> str:
    lines = [f"Next nightly retrain: {next_run.isoformat(' ', 'minutes') if next_run else 'none'}"]
    lines.append(f"Last run: {describe_run(last)}" if last else "No training run yet.")
    if job is not None:
        lines.append(f"Running now: {job.describe()}")
    return "\n".join(lines)


def describe_model(name: str, loaded: LoadedModel) -> str:
    metrics = loaded.metrics[-1] if loaded.metrics else {}
    best = min((m["val_loss"] for m in loaded.metrics), default=None)
    parts = [
        f"Serving {name} ({loaded.version}), {loaded.tokenizer.level} level",
        f"{loaded.config.num_layers}×{loaded.config.hidden_size} LSTM, "
        f"vocabulary {loaded.config.vocab_size}",
        f"{len(loaded.metrics)} epochs trained",
    ]
    if best is not None:
        parts.append(f"best validation loss {best:.3f}")
    if metrics.get("val_bpc") is not None:
        parts.append(f"{metrics['val_bpc']:.3f} bits/char")
    styles = loaded.tokenizer.styles
    parts.append(f"styles: {', '.join(styles)}" if styles else "no styles")
    return " · ".join(parts)


def describe_entries(status: str, entries: list[CorpusEntry], counts: Mapping[str, int]) -> str:
    header = ", ".join(f"{n} {s}" for s, n in counts.items())
    lines = [f"Corpus: {header}.", f"{status.capitalize()} entries (newest first):"]
    for e in entries:
        first = e.text.strip().split("\n", 1)[0][:60]
        who = f" by {e.submitted_by}" if e.submitted_by else ""
        style = f", {e.style}" if e.style else ""
        origin = f" {e.title}:" if e.title else ""
        lines.append(f"#{e.id} [{e.source}{who}{style}, {e.chars} chars]{origin} {first}")
    if not entries:
        lines.append("(none)")
    return "\n".join(lines)
