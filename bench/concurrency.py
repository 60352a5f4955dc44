"""Many users at once, measured where users feel it.

1. `service`: the bot's own services in this process (settings, SQLite file, EngineService,
   LyricsService), no Discord. `throughput`: N requests submitted together (`lines=None`, a
   fixed number of tokens each), aggregate chars/s — they are stepped in one batch.
   `lyrics_<N>_users`: N users each sending /lyrics (8 lines) back to back through
   `LyricsService.admit` + `write`, the path a Discord command takes: latency percentiles.
   `song_form`: the same for free writing, the bot's defaults and a scheme with syllables,
   with each one's latency as a multiple of free writing's.
2. `discord`: the real bot process (`python -m bot run`, the real discord.py client) against the
   fake Discord of tests/fakediscord on 127.0.0.1, N users each sending /lyrics back to back;
   latency is from the interaction's creation to the settled answer, as a user sees it. Then
   an admin starts /retrain and the same load runs again while the model trains (a niced
   worker with one thread); `p95_ratio` compares the two. The event loop's lag comes from the
   bot's health endpoint (sampled every 50 ms over the whole run).
3. `discord_song_form`: the same real bot and fake Discord, N users each sending the
   constrained /lyrics (`abab_8`: a rhyme scheme and syllables, so best of 8 lines and strict
   words), served once with `auto` weights and once with `fp32`, each in its own bot process.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.common import BenchError, Context, median, percentile
from bot.services.container import Services, open_services
from bot.services.lyrics import LyricsRequest
from bot.services.streaming import LiveText
from bot.settings import Settings
from lyriccore.checkpoint import load_model
from lyriccore.sampling import SamplingParams

log = logging.getLogger(__name__)
LINES = 8
FOOTER = "Machine-generated"  # in the final answer, not in a "writing…" one
PROBLEM = "⚠️"  # how the bot's answer starts when it could not write one
THROUGHPUT_TOKENS = 1000
RETRAIN_CPU_SECONDS = 3.0  # the worker has read the corpus and is in its training steps
# /lyrics as people send it: free writing (the old path), the bot's defaults (strict words),
# and a song form (a scheme and syllables: best of 8 lines, strict words).
SONG_FORMS: dict[str, dict[str, str]] = {
    "free": {"words": "off"},
    "default": {},
    "abab_8": {"scheme": "ABAB", "syllables": "8"},
}


def _latencies(millis: list[float]) -> dict[str, float]:
    return {
        "requests": len(millis),
        "p50_ms": median(millis),
        "p95_ms": percentile(millis, 95),
        "max_ms": max(millis),
    }


async def users_asking(
    count: int, rounds: int, ask: Callable[[int, int], Awaitable[int]]
) -> dict[str, float]:
    """`count` users, each asking `rounds` times back to back; `ask` returns chars written.
    Latency grows with the length of the answer, so the answers' median length comes too."""
    millis: list[float] = []
    lengths: list[float] = []

    async def user(index: int) -> None:
        for n in range(rounds):
            started = time.perf_counter()
            lengths.append(await ask(index, n))
            millis.append(1000 * (time.perf_counter() - started))

    started = time.perf_counter()
    await asyncio.gather(*(user(i) for i in range(count)))
    seconds = time.perf_counter() - started
    return {
        "users": count,
        **_latencies(millis),
        "chars_per_answer": median(lengths),
        "chars_per_s": sum(lengths) / seconds,
    }


def models_folder(work_dir: Path, char_model: Path) -> Path:
    """The benchmark's char model as the bot's `starter`, in a fresh models folder."""
    root = work_dir / "serving-models"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(char_model, root / "starter")
    return root


async def service(ctx: Context, char_model: Path, threads: int) -> dict[str, Any]:
    sizes = ctx.sizes
    settings = Settings(
        token="bench-token-not-real",
        db_path=ctx.work_dir / "service-bench.db",
        models_dir=models_folder(ctx.work_dir, char_model),
        cooldown_rate=0,
        workers=max(sizes.concurrency),
        generation_threads=threads,
        queue_size=max(sizes.concurrency),
    )
    report: dict[str, Any] = {
        "workers": settings.workers,
        "generation_threads": threads,
        "throughput": {},
    }
    async with open_services(settings) as services:
        engine = services.engine
        await engine.start()
        for n in sizes.concurrency:
            log.info("service layer: %d requests together", n)
            params = [
                SamplingParams(lines=None, max_tokens=THROUGHPUT_TOKENS, rng_seed=i)
                for i in range(n)
            ]
            started = time.perf_counter()
            results = await asyncio.gather(*(engine.generate("we drift", p) for p in params))
            seconds = time.perf_counter() - started
            chars = sum(len(c) for r in results for c in r.continuations)
            report["throughput"][str(n)] = {
                "requests": n,
                "tokens_each": THROUGHPUT_TOKENS,
                "seconds": seconds,
                "chars_per_s": chars / seconds,
            }

        report["song_form"] = await _song_forms(services, sizes.latency_users, sizes.latency_rounds)
        for users in sizes.latency_users:  # the bot's defaults, as a plain /lyrics gets them
            report[f"lyrics_{users}_users"] = report["song_form"]["default"][str(users)]
    return report


async def _song_forms(
    services: Services, user_counts: tuple[int, ...], rounds: int
) -> dict[str, Any]:
    """/lyrics latency per song form, and each form's cost as a multiple of free writing."""
    figures: dict[str, Any] = {}
    first_lines: list[float] = []
    for form, options in SONG_FORMS.items():

        async def lyrics(user: int, n: int, options: dict[str, str] = options) -> int:
            seed = f"song {user} verse {n}"
            request = LyricsRequest(seed=seed, lines=LINES, user_id=user, **options)
            live, started = LiveText(), time.perf_counter()
            first = asyncio.create_task(_first_change(live))
            answer = await services.lyrics.write(services.lyrics.admit(request), live=live)
            seen = first.result() if first.done() else time.perf_counter()
            first.cancel()
            first_lines.append(1000 * (seen - started))  # streamed, or else the answer
            return len(answer.result.continuations[0])

        figures[form] = {}
        for users in user_counts:
            log.info("service layer: /lyrics (%s) from %d users", form, users)
            first_lines.clear()
            figures[form][str(users)] = {
                **await users_asking(users, rounds, lyrics),
                "first_line_p50_ms": median(first_lines),
                "first_line_p95_ms": percentile(first_lines, 95),
            }
    for by_users in figures.values():
        for users, row in by_users.items():
            free = figures["free"][users]
            row["p50_vs_free"] = row["p50_ms"] / free["p50_ms"]
            row["p95_vs_free"] = row["p95_ms"] / free["p95_ms"]
    return figures


async def _first_change(live: LiveText) -> float:
    """When the first whole line reached the event loop (what streaming shows first)."""
    await live.changed.wait()
    return time.perf_counter()


def _training_cpu_seconds() -> float:
    """CPU time of the running training worker, read from /proc as an operator would."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"bot.training.worker" not in (entry / "cmdline").read_bytes():
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def _training_started(within: float = 120.0) -> None:
    for _ in range(int(within / 0.2)):
        if _training_cpu_seconds() >= RETRAIN_CPU_SECONDS:
            return
        await asyncio.sleep(0.2)
    raise BenchError(f"/retrain started no training worker within {within:.0f} s")


def _count_edits(fake: Any, token: str, into: dict[str, list[float]]) -> None:
    """How often the bot edited one answer, and the gaps between its streaming edits (the
    final answer follows the last of them at once: it is not held back for the pace)."""
    times = [r.at for r in fake.requests if r.method == "PATCH" and f"/{token}/" in r.path]
    into["edits"].append(len(times))
    into["gap_s"].extend(b - a for a, b in itertools.pairwise(times[:-1]))


def _streaming_summary(values: dict[str, list[float]]) -> dict[str, float | int | None]:
    return {
        "first_shown_p50_ms": median(values["first_shown_ms"]),
        "first_shown_p95_ms": percentile(values["first_shown_ms"], 95),
        "edits_per_answer_p50": median(values["edits"]),
        "shortest_gap_between_streaming_edits_s": min(values["gap_s"], default=None),
        "answers_failed": len(values["failed"]),
    }


def _bot_env(fake: Any, ctx: Context, char_model: Path, port: int, threads: int) -> dict[str, str]:
    """The bot process's settings: the fake Discord, a fresh database, `char_model` served."""
    return {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_GUILD_IDS": str(fake.guild_id),
        "LYRICBOT_DB": str(ctx.work_dir / "discord-bench.db"),
        "LYRICBOT_MODELS": str(models_folder(ctx.work_dir, char_model)),
        "LYRICBOT_COOLDOWN_RATE": "0",
        "LYRICBOT_HEALTH_PORT": str(port),
        "LYRICBOT_RETRAIN_MINUTES": str(ctx.sizes.retrain_minutes),
        "LYRICBOT_GENERATION_THREADS": str(threads),
    }


def _slash_lyrics(
    fake: Any, members: list[Any], streaming: dict[str, list[float]], options: dict[str, str]
) -> Callable[[int, int], Awaitable[int]]:
    """One user's /lyrics (8 lines, `options` besides) as `users_asking` sends it: the reply's
    length, with when it first showed text and how often it was edited put in `streaming`."""

    async def lyrics(user: int, n: int) -> int:
        slash = {"seed": f"song {user} verse {n}", "lines": LINES, **options}
        started = time.perf_counter()
        interaction = await fake.invoke_slash("lyrics", slash, user=members[user])
        await interaction.wait_for_reply(120, lambda m: not m.content.startswith("⏳"))
        streaming["first_shown_ms"].append(1000 * (time.perf_counter() - started))
        reply = await interaction.wait_for_reply(120, _settled)
        _count_edits(fake, interaction.token, streaming)
        if reply.content.startswith(PROBLEM):  # e.g. past the bot's generation timeout
            streaming["failed"].append(1000 * (time.perf_counter() - started))
            return 0
        return len(reply.content)

    return lyrics


def _settled(message: Any) -> bool:
    """The final answer, or the problem the bot answered with instead."""
    return FOOTER in message.content or message.content.startswith(PROBLEM)


def _new_streaming() -> dict[str, list[float]]:
    return {"first_shown_ms": [], "edits": [], "gap_s": [], "failed": []}


async def discord(ctx: Context, char_model: Path, threads: int) -> dict[str, Any]:
    from tests.fakediscord import BotProcess, FakeDiscord, GuildSpec, fetch, free_port

    sizes, users = ctx.sizes, max(ctx.sizes.latency_users)
    port = free_port()
    async with FakeDiscord(guilds=[GuildSpec(name="Bench")], interaction_deadline=None) as fake:
        admin = fake.make_admin()
        members = [fake.make_member(f"singer{i}") for i in range(users)]
        env = _bot_env(fake, ctx, char_model, port, threads)
        streaming = _new_streaming()
        lyrics = _slash_lyrics(fake, members, streaming, {})
        async with BotProcess(fake, ["bot", "run"], env=env, cwd=ctx.work_dir) as bot:
            await fake.wait_until_identified(60)
            await fake.wait_until_synced(60)
            await users_asking(2, 1, lyrics)  # warm-up: the model is loaded and has answered
            log.info("fake Discord: /lyrics from %d users", users)
            for values in streaming.values():
                values.clear()
            quiet = await users_asking(users, sizes.latency_rounds, lyrics)
            quiet["streaming"] = _streaming_summary(streaming)
            log.info("fake Discord: the same while a retrain runs")
            await fake.invoke_slash("retrain", {}, user=admin)
            await _training_started()
            training = await users_asking(users, sizes.latency_rounds, lyrics)
            still_training = _training_cpu_seconds() > RETRAIN_CPU_SECONDS
            # Read whatever it says: 503 (not healthy right now) comes with the same report.
            _, health = await asyncio.to_thread(fetch, f"http://127.0.0.1:{port}/health")
            await bot.terminate(timeout=60)
    return {
        "users": users,
        "generation_threads": threads,
        "lines": LINES,
        "quiet": quiet,
        "during_retrain": {**training, "training_ran_throughout": still_training},
        "p95_ratio": training["p95_ms"] / quiet["p95_ms"],
        "loop_lag_ms": health["loop_lag_ms"],
    }


async def discord_song_form(ctx: Context, char_model: Path, threads: int) -> dict[str, Any]:
    """The constrained /lyrics (`abab_8`: scheme ABAB, 8 syllables, so best of 8 and strict
    words) from N users at once through the real bot process, once per serving weights (each
    its own bot process, `LYRICBOT_SERVING_WEIGHTS`), the two runs back to back."""
    report: dict[str, Any] = {
        "users": max(ctx.sizes.latency_users),
        "lines": LINES,
        "options": SONG_FORMS["abab_8"],
        "model_hidden_size": load_model(char_model).config.hidden_size,
    }
    for weights in ("auto", "fp32"):
        report[weights] = await _song_form_through_bot(ctx, char_model, threads, weights)
    report["p95_fp32_over_auto"] = report["fp32"]["p95_ms"] / report["auto"]["p95_ms"]
    return report


async def _song_form_through_bot(
    ctx: Context, char_model: Path, threads: int, weights: str
) -> dict[str, Any]:
    from tests.fakediscord import BotProcess, FakeDiscord, GuildSpec, free_port

    users, port = max(ctx.sizes.latency_users), free_port()
    async with FakeDiscord(guilds=[GuildSpec(name="Bench")], interaction_deadline=None) as fake:
        members = [fake.make_member(f"singer{i}") for i in range(users)]
        env = _bot_env(fake, ctx, char_model, port, threads)
        env["LYRICBOT_SERVING_WEIGHTS"] = weights
        streaming = _new_streaming()
        lyrics = _slash_lyrics(fake, members, streaming, SONG_FORMS["abab_8"])
        async with BotProcess(fake, ["bot", "run"], env=env, cwd=ctx.work_dir) as bot:
            await fake.wait_until_identified(60)
            await fake.wait_until_synced(60)
            await users_asking(2, 1, lyrics)  # warm-up: the model and its word sets are built
            for values in streaming.values():
                values.clear()
            log.info("fake Discord: /lyrics %s from %d users, %s weights", "abab_8", users, weights)
            figures = await users_asking(users, ctx.sizes.latency_rounds, lyrics)
            await bot.terminate(timeout=60)
    return {"weights": weights, **figures, "streaming": _streaming_summary(streaming)}
