"""Exports for human evaluation, read back the way an analyst would read them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bot.storage import Database, export


@pytest.fixture
async def rated(db: Database, make_generation) -> Database:
    first = await db.record_generation(
        make_generation(seed="rain", params={"temperature": 0.7, "top_k": 40}, output="ä, b\nc")
    )
    await db.attach_message(first, 501)
    await db.set_rating(first, 10, 4)
    await db.set_rating(first, 11, 5)
    await db.record_generation(
        make_generation(
            source="console",
            guild_id=None,
            seed="sun",
            params={"temperature": 1.3, "stop": ["\n\n"], "greedy": False},
            status="timeout",
            output=None,
        )
    )
    return db


async def test_export_rows_have_one_shape(rated: Database) -> None:
    rows = [row async for row in rated.export_rows()]
    assert len(rows) == 2
    assert list(rows[0]) == list(rows[1])
    first, second = rows
    assert first["param_top_k"] == 40 and second["param_top_k"] is None
    assert second["param_stop"] == ["\n\n"] and first["param_stop"] is None
    assert (first["rating_count"], first["rating_mean"]) == (2, 4.5)
    assert [(r["user_id"], r["score"]) for r in first["ratings"]] == [(10, 4), (11, 5)]
    assert (second["rating_count"], second["rating_mean"], second["ratings"]) == (0, None, [])
    assert "params_json" not in first


async def test_csv_export_reads_back(rated: Database, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "eval.csv"
    out.parent.mkdir()
    assert await export(rated, out, "csv") == 2
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["seed"] for row in rows] == ["rain", "sun"]
    first, second = rows
    assert first["output"] == "ä, b\nc"
    assert first["message_id"] == "501" and second["message_id"] == ""
    assert float(first["param_temperature"]) == 0.7
    assert (first["rating_count"], float(first["rating_mean"])) == ("2", 4.5)
    assert [r["score"] for r in json.loads(first["ratings"])] == [4, 5]
    assert json.loads(second["param_stop"]) == ["\n\n"]
    assert json.loads(second["param_greedy"]) is False
    assert (second["status"], second["source"], second["guild_id"]) == ("timeout", "console", "")
    assert [p.name for p in out.parent.iterdir()] == ["eval.csv"]  # no partial file left


async def test_jsonl_export_reads_back(rated: Database) -> None:
    out = io.StringIO()
    assert await export(rated, out, "jsonl") == 2
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row["seed"] for row in rows] == ["rain", "sun"]
    assert rows[0]["ratings"][1]["score"] == 5
    assert rows[0]["rating_mean"] == 4.5
    assert rows[1]["param_stop"] == ["\n\n"] and rows[1]["output"] is None


async def test_export_of_many_rows_crosses_page_and_flush_sizes(
    db: Database, make_generation, tmp_path: Path
) -> None:
    for i in range(1_203):
        await db.record_generation(make_generation(seed=f"s{i}"))
    out = tmp_path / "all.jsonl"
    assert await export(db, out, "jsonl") == 1_203
    seeds = [json.loads(line)["seed"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert seeds == [f"s{i}" for i in range(1_203)]


async def test_empty_log_exports_nothing(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "empty.csv"
    assert await export(db, out, "csv") == 0
    assert out.read_text() == ""


async def test_unknown_format_is_rejected(db: Database) -> None:
    with pytest.raises(ValueError, match="csv"):
        await export(db, io.StringIO(), "xlsx")  # type: ignore[arg-type]
