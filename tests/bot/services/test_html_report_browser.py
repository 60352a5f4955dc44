"""The report page in a real headless Chromium (Debian's package): it renders, shows the charts
and the answers, runs nothing a user typed, and a screenshot of it is not blank.

Chromium is required, not optional: `.ci/run` installs it, and without it this test fails.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.image import imread

from bot.services.html_report import write_report
from bot.storage import Database

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Chromium is needed for this test: apt-get install -y chromium")
    return found


def run_chromium(profile: Path, *args: str) -> str:
    result = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


class Page(HTMLParser):
    """What the rendered DOM holds: its images, its title and its visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.scripts = 0
        self.text: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        self.scripts += tag == "script"
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        self.text.append(data)


async def test_report_renders_in_headless_chromium(
    script_seed: str, rated_db: Database, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    await write_report(rated_db, report)
    url = report.resolve().as_uri()
    shot = tmp_path / "shot.png"
    dom, _ = await asyncio.gather(
        asyncio.to_thread(run_chromium, tmp_path / "profile-dom", "--dump-dom", url),
        asyncio.to_thread(run_chromium, tmp_path / "profile-shot", f"--screenshot={shot}",
                          "--window-size=1200,2000", url),
    )  # fmt: skip
    page = Page()
    page.feed(dom)
    assert page.title == "lyricbot human evaluation"  # the seed's script never ran
    assert page.scripts == 0
    assert len(page.images) == 2
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    text = "".join(page.text)
    assert script_seed in text  # shown to the reader as the characters typed
    for shown in ("Top-rated answers", "golden hour\nwe hold the light", "Mann–Whitney U"):
        assert shown in text
    pixels = imread(shot)
    assert pixels.shape[:2] == (2000, 1200)
    assert pixels.std() > 0.05 and pixels[..., :3].min() < 0.2  # text and charts, not blank
