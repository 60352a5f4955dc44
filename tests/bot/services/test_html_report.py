"""`lyricbot report`'s page, read as text: sections, numbers, escaping, the export link."""

from __future__ import annotations

import asyncio
import base64
import csv
import os
import re
from pathlib import Path

from bot.cli import main
from bot.services.html_report import write_report
from bot.storage import Database

SECTIONS = ("ratings", "over-time", "models", "best", "worst", "export")


async def test_page_has_every_section_inline_charts_and_no_network(
    rated_db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    data = await write_report(rated_db, out)
    page = out.read_text(encoding="utf-8")
    assert data.evaluation.overall.ratings == 18
    for section in SECTIONS:
        assert f'<h2 id="{section}">' in page
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from anywhere
    assert "<link" not in page and "<script" not in page
    assert "lyricbot export --format csv" in page
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]  # no partial file


async def test_answers_and_the_model_comparison(rated_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    await write_report(rated_db, out)
    page = out.read_text(encoding="utf-8")
    best, worst = page.split('id="best"')[1].split('id="worst"')
    assert best.index("golden hour") < best.index("we drift")
    assert worst.index("&lt;script&gt;") < worst.index("golden hour")
    # v0001: 2,1,2,3,2,1,2,3,1 against v0002: 5,5,4,5,4,5,4,4,5: no overlap at all
    assert "<td>v0001</td><td>1.89 (9)</td><td>v0002</td><td>4.56 (9)</td>" in page
    assert "<td>0</td><td>&lt; 0.001</td><td>different</td>" in page
    assert "<td>AABB</td><td>3</td><td>2.00</td><td>1.00–4.48</td>" in page  # cut to 1–5


async def test_user_text_is_escaped(script_seed: str, rated_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    await write_report(rated_db, out)
    page = out.read_text(encoding="utf-8")
    assert script_seed not in page
    assert "&lt;script&gt;document.title = &quot;pwned&quot;&lt;/script&gt;" in page
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; more" in page


async def test_the_cli_writes_the_page_and_the_linked_export(
    rated_db: Database, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("LYRICBOT_DB", str(rated_db.path))
    monkeypatch.setenv("LYRICBOT_MODELS", str(tmp_path / "models"))
    page, log = tmp_path / "out" / "report.html", tmp_path / "out" / "data" / "log.csv"
    log.parent.mkdir(parents=True)
    args = ["report", "--out", str(page), "--export", str(log)]
    assert await asyncio.to_thread(main, args) == 0  # its own event loop, as from a shell
    assert "18 ratings" in capsys.readouterr().err
    assert '<a href="data/log.csv">' in page.read_text(encoding="utf-8")
    with log.open(encoding="utf-8", newline="") as rows:
        assert len(list(csv.DictReader(rows))) == 5
