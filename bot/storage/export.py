"""Writing the generation log to CSV or JSON Lines for offline human evaluation.

Rows are formatted into an in-memory buffer and handed to a worker thread a batch at a time,
so a large export neither holds the whole log in memory nor blocks the event loop on disk.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

if TYPE_CHECKING:
    from bot.storage.database import Database

ExportFormat = Literal["csv", "jsonl"]

FLUSH_EVERY = 500
"""Rows formatted between two writes to the output."""


async def export(db: Database, out: Path | TextIO, fmt: ExportFormat) -> int:
    """Write every generation (see ``Database.export_rows``) to ``out``; return the row count.

    A ``Path`` is written to a temporary file beside it and renamed into place, so a failed
    export never leaves a truncated file that looks complete. A text stream is written as
    is; for CSV open it with ``newline=""`` as the csv module requires. An empty log gives
    an empty output: the CSV header comes from the first row's keys.
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"export format must be 'csv' or 'jsonl', got {fmt!r}")
    if not isinstance(out, Path):
        return await _write_rows(db, out, fmt)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    stream = await asyncio.to_thread(partial.open, "w", encoding="utf-8", newline="")
    try:
        count = await _write_rows(db, stream, fmt)
    except BaseException:
        await asyncio.to_thread(stream.close)
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise
    await asyncio.to_thread(stream.close)
    await asyncio.to_thread(os.replace, partial, out)
    return count


async def _write_rows(db: Database, out: TextIO, fmt: ExportFormat) -> int:
    """Format rows into a buffer and flush it to ``out`` every ``FLUSH_EVERY`` rows."""
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    count = 0
    async for row in db.export_rows():
        if fmt == "jsonl":
            buffer.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            if writer is None:
                writer = csv.DictWriter(buffer, fieldnames=list(row))
                writer.writeheader()
            writer.writerow({key: _csv_cell(value) for key, value in row.items()})
        count += 1
        if count % FLUSH_EVERY == 0:
            await _flush(buffer, out)
    await _flush(buffer, out)
    return count


async def _flush(buffer: io.StringIO, out: TextIO) -> None:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    if text:
        await asyncio.to_thread(out.write, text)


def _csv_cell(value: Any) -> Any:
    """Lists, dicts and booleans as JSON text, so a spreadsheet and ``json.loads`` agree."""
    if isinstance(value, list | dict | bool):
        return json.dumps(value, ensure_ascii=False)
    return value
