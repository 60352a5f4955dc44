"""`lyricbot report`: the human evaluation as one self-contained HTML page.

Charts are inline PNGs (``data:`` URLs) and the style sheet is inline, so the file can be
mailed or opened offline and never fetches anything. Every string that came from a user or
the log (seeds, outputs, model names, schemes) goes through ``html.escape``: an answer that
says ``<script>`` shows those characters and runs nothing.
"""

from __future__ import annotations

import asyncio
import base64
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from bot.services.evaluation import Comparison, Evaluation, RatingGroup, load_evaluation
from bot.services.plots import ratings_over_time_png, ratings_png
from bot.storage import DailyRatings, Database, RatedAnswer, export

SIGNIFICANCE_LEVEL = 0.05
ANSWERS_SHOWN = 10

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
.lyrics { white-space: pre-wrap; font-family: ui-monospace, monospace; margin: 0; }
.note { color: #555; font-size: 0.9em; }
code { background: #f3f3f3; padding: 0 0.2em; }
"""


_RATINGS_ALT = (
    "Mean rating with 95 % confidence intervals by model version, temperature band and rhyme "
    "scheme, and the rating distribution"
)


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything the page shows, read from the database in one go."""

    generated_at: datetime
    guild_id: int | None
    evaluation: Evaluation
    best: list[RatedAnswer]
    worst: list[RatedAnswer]
    days: list[DailyRatings]


@dataclass(frozen=True, slots=True)
class Charts:
    """The page's pictures as PNG bytes."""

    ratings: bytes
    over_time: bytes


async def gather_report(db: Database, guild_id: int | None = None) -> ReportData:
    return ReportData(
        generated_at=datetime.now(UTC),
        guild_id=guild_id,
        evaluation=await load_evaluation(db, guild_id),
        best=await db.rated_answers(guild_id, best_first=True, limit=ANSWERS_SHOWN),
        worst=await db.rated_answers(guild_id, best_first=False, limit=ANSWERS_SHOWN),
        days=await db.ratings_by_day(guild_id),
    )


def draw_charts(data: ReportData) -> Charts:
    return Charts(ratings_png(data.evaluation), ratings_over_time_png(data.days))


async def write_report(
    db: Database, out: Path, *, guild_id: int | None = None, export_to: Path | None = None
) -> ReportData:
    """Gather, draw (in a worker thread) and write the page; with ``export_to``, write the
    log there too (CSV, or JSON Lines for a ``.jsonl`` name) and link it. The page is written
    beside ``out`` and renamed into place, so a failure never leaves half a page."""
    href = None
    if export_to is not None:
        await export(db, export_to, "jsonl" if export_to.suffix == ".jsonl" else "csv")
        href = await asyncio.to_thread(_relative_href, export_to, out)
    data = await gather_report(db, guild_id)
    charts = await asyncio.to_thread(draw_charts, data)
    page = render_report(data, charts, export_href=href)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    await asyncio.to_thread(partial.write_text, page, encoding="utf-8")
    await asyncio.to_thread(os.replace, partial, out)
    return data


def render_report(data: ReportData, charts: Charts, *, export_href: str | None = None) -> str:
    """The whole page as text."""
    evaluation = data.evaluation
    scope = "all servers" if data.guild_id is None else f"server {data.guild_id}"
    overall = evaluation.overall
    sections = [
        f"<h1>lyricbot human evaluation</h1>\n<p class=note>{escape(scope)}, generated "
        f"{data.generated_at:%Y-%m-%d %H:%M} UTC: {overall.ratings} ratings, mean "
        f"{_mean(overall)}.</p>",
        '<h2 id="ratings">Ratings by model version, temperature and rhyme scheme</h2>',
        _image(charts.ratings, _RATINGS_ALT),
        _groups_table("Model version", evaluation.by_model_version),
        _groups_table("Temperature", evaluation.by_temperature_band),
        _groups_table("Rhyme scheme", evaluation.by_scheme),
        '<h2 id="over-time">Ratings over time</h2>',
        _image(charts.over_time, "Mean rating per day"),
        '<h2 id="models">Model versions compared</h2>',
        _comparisons(evaluation.model_comparisons()),
        '<h2 id="best">Top-rated answers</h2>',
        _answers(data.best),
        '<h2 id="worst">Lowest-rated answers</h2>',
        _answers(data.worst),
        '<h2 id="export">The raw data</h2>',
        _export(export_href),
    ]
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
        "<title>lyricbot human evaluation</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _mean(group: RatingGroup) -> str:
    return f"{group.mean:.2f}" if group.mean is not None else "–"


def _interval(group: RatingGroup) -> str:
    return f"{group.ci95[0]:.2f}–{group.ci95[1]:.2f}" if group.ci95 else "–"


def _image(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<p><img src="data:image/png;base64,{encoded}" alt="{escape(alt)}"></p>'


def _groups_table(title: str, groups: tuple[RatingGroup, ...]) -> str:
    if not groups:
        return f"<p>{escape(title)}: no ratings yet.</p>"
    head = "".join(f"<th>{s}</th>" for s in ("1", "2", "3", "4", "5"))
    rows = "".join(
        f"<tr><td>{escape(g.key)}</td><td>{g.ratings}</td><td>{_mean(g)}</td>"
        f"<td>{_interval(g)}</td>" + "".join(f"<td>{k}</td>" for k in g.counts) + "</tr>"
        for g in groups
    )
    return (
        f"<table><tr><th>{escape(title)}</th><th>ratings</th><th>mean</th><th>95 % CI</th>"
        f"{head}</tr>{rows}</table>"
    )


def _comparisons(comparisons: list[Comparison]) -> str:
    if not comparisons:
        return "<p>Only one model version has ratings: nothing to compare yet.</p>"
    rows = "".join(_comparison_row(c) for c in comparisons)
    return (
        "<table><tr><th>model</th><th>mean (n)</th><th>model</th><th>mean (n)</th>"
        f"<th>Mann–Whitney U</th><th>p</th><th>verdict</th></tr>{rows}</table>\n"
        "<p class=note>Two-sided Mann–Whitney U test on the individual ratings (normal "
        "approximation with tie and continuity corrections), at the 5 % level; no correction "
        "for comparing several pairs.</p>"
    )


def _comparison_row(comparison: Comparison) -> str:
    first, second, test = comparison.first, comparison.second, comparison.test
    if test is None:
        u, p, verdict = "–", "–", "not enough ratings"
    else:
        u, p = f"{test.u:g}", f"{test.p_value:.3f}" if test.p_value >= 0.001 else "&lt; 0.001"
        verdict = "different" if test.p_value < SIGNIFICANCE_LEVEL else "no significant difference"
    return (
        f"<tr><td>{escape(first.key)}</td><td>{_mean(first)} ({first.ratings})</td>"
        f"<td>{escape(second.key)}</td><td>{_mean(second)} ({second.ratings})</td>"
        f"<td>{u}</td><td>{p}</td><td>{verdict}</td></tr>"
    )


def _answers(answers: list[RatedAnswer]) -> str:
    if not answers:
        return "<p>No rated answers yet.</p>"
    rows = "".join(
        f"<tr><td>#{a.id}</td><td>{a.mean:.2f} ({a.raters})</td><td>{escape(a.model_version)}"
        f"</td><td>{escape(a.seed)}</td><td><pre class=lyrics>{escape(a.output)}</pre></td></tr>"
        for a in answers
    )
    return (
        "<table><tr><th>generation</th><th>mean (raters)</th><th>model</th><th>seed</th>"
        f"<th>answer</th></tr>{rows}</table>"
    )


def _export(href: str | None) -> str:
    link = (
        ""
        if href is None
        else f'<p><a href="{escape(href)}">{escape(href)}</a>, written with this page.</p>'
    )
    return link + (
        "<p>Every prompt, its settings, output, model version, latency and ratings: "
        "<code>lyricbot export --format csv --out log.csv</code> (or <code>--format jsonl</code>) "
        "writes the whole log for your own analysis; <code>lyricbot report --export log.csv</code> "
        "writes it beside this page.</p>"
    )


def _relative_href(target: Path, page: Path) -> str:
    """The link from the page's folder to ``target``, as a URL path."""
    return Path(os.path.relpath(target.resolve(), page.resolve().parent)).as_posix()
