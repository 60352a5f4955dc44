"""`lyricbot console`: the bot's commands typed in a terminal, on the same services and
database, so anyone can try the whole flow without a Discord token.

    /lyrics seed:"we drift" temperature:0.8 lines:4
    rate 4          rate the last lyrics 1–5
    /stats          counts and mean ratings
    help, quit
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TextIO

from bot.services.container import Services
from bot.services.errors import UserFacingError
from bot.services.lyrics import LyricsAnswer, LyricsRequest
from bot.storage import StatsReport

CONSOLE_USER = 0
OPTION_TYPES: dict[str, Callable[[str], Any]] = {
    "seed": str,
    "temperature": float,
    "top_p": float,
    "top_k": int,
    "lines": int,
    "repetition_penalty": float,
    "anneal": float,
    "model": str,
    "rng_seed": int,
}


def parse_lyrics_options(words: list[str]) -> LyricsRequest:
    """`seed:"we drift" temperature:0.8` (a bare word joins the seed)."""
    options: dict[str, Any] = {}
    loose: list[str] = []
    for word in words:
        name, sep, value = word.partition(":")
        if not sep or name not in OPTION_TYPES:
            if sep and name.isidentifier():
                known = ", ".join(OPTION_TYPES)
                raise UserFacingError(f"Unknown option {name!r}; options are: {known}.")
            loose.append(word)
            continue
        try:
            options[name] = OPTION_TYPES[name](value)
        except ValueError:
            raise UserFacingError(f"`{name}` needs a number, not {value!r}.") from None
    if loose:
        options["seed"] = " ".join([options.get("seed", ""), *loose]).strip()
    if "seed" not in options:
        raise UserFacingError('Give a seed: /lyrics seed:"we drift"')
    known = {f.name for f in fields(LyricsRequest)}
    return LyricsRequest(source="console", **{k: v for k, v in options.items() if k in known})


def format_plain(answer: LyricsAnswer) -> str:
    notes = "  ·  ".join(answer.summary())
    return f"{answer.text}\n\n[{notes}]\n[machine-generated; rate it with: rate 1-5]"


def format_report(report: StatsReport) -> str:
    lines = [f"{report.total_generations} generations, {report.total_ratings} ratings"]
    for title, groups in (
        ("by model", report.by_model_version),
        ("by temperature", report.by_temperature_band),
    ):
        lines.append(title + ":")
        for g in groups:
            mean = f"{g.mean_rating:.2f}" if g.mean_rating is not None else "-"
            lines.append(f"  {g.key}: {g.generations} generations, {g.ratings} ratings, {mean}")
    return "\n".join(lines)


class Console:
    def __init__(self, services: Services, out: TextIO = sys.stdout) -> None:
        self.services = services
        self.out = out
        self.last: LyricsAnswer | None = None

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def handle(self, line: str) -> bool:
        """Run one command line; returns False when the user wants to leave."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            self.say(f"Could not read that line: {exc}.")
            return True
        if not words:
            return True
        command, rest = words[0].lstrip("/").lower(), words[1:]
        if command in {"quit", "exit"}:
            return False
        try:
            await self._dispatch(command, rest)
        except UserFacingError as exc:
            self.say(str(exc))
        return True

    async def _dispatch(self, command: str, rest: list[str]) -> None:
        if command == "lyrics":
            await self._lyrics(parse_lyrics_options(rest))
        elif command == "rate":
            await self._rate(rest)
        elif command == "stats":
            self.say(format_report(await self.services.db.stats(None)))
        elif command == "help":
            self.say(__doc__ or "")
        else:
            self.say(f"Unknown command {command!r}. Type help.")

    async def _lyrics(self, request: LyricsRequest) -> None:
        async def position(n: int) -> None:
            self.say(f"(queued: position {n})")

        admission = self.services.lyrics.admit(request)
        self.last = await self.services.lyrics.write(admission, position)
        self.say(format_plain(self.last))

    async def _rate(self, rest: list[str]) -> None:
        if self.last is None:
            raise UserFacingError("Nothing to rate yet: write some /lyrics first.")
        if len(rest) != 1 or rest[0] not in {"1", "2", "3", "4", "5"}:
            raise UserFacingError("Rate with a number from 1 to 5, e.g. rate 4.")
        await self.services.ratings.rate(self.last.generation_id, CONSOLE_USER, int(rest[0]))
        self.say(f"Rated #{self.last.generation_id}: {rest[0]}/5. Thanks!")


async def run_console(services: Services, source: TextIO = sys.stdin) -> None:
    console = Console(services)
    interactive = source.isatty()
    console.say('lyricbot console: type help, or /lyrics seed:"we drift"')
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = await asyncio.to_thread(source.readline)
        if not line or not await console.handle(line):
            break
