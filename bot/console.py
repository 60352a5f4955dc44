"""`lyricbot console`: the bot's commands typed in a terminal, on the same services and
database, so anyone can try the whole flow without a Discord token.

    /lyrics seed:"we drift" temperature:0.8 lines:4
    /lyrics seed:"we drift" scheme:ABAB syllables:8 [best_of:8] [words:strict|lexicon|off]
    /lyrics seed:"we drift" style:blues      (/styles lists the serving model's styles)
    /song seed:"we drift" [form:verse-chorus-verse-chorus-bridge-chorus] [scheme:AABB]
    rate 4          rate the last lyrics 1–5
    /stats          counts and mean ratings
    /presets        the learnt defaults   /presets pin wild   /presets unpin   /presets reset
    /corpus submit text:"..." [style:blues]   /corpus list [status]
    /corpus approve 3   /corpus reject 3 why
    /retrain [level:char] [epochs:5] [minutes:2] [force:yes]
    /model          the serving model      /schedule     the nightly retrain
    help, quit

The console is run by the operator, so admin commands are allowed.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any, TextIO

from bot.services.container import Services
from bot.services.errors import UserFacingError
from bot.services.lyrics import LyricsAnswer, LyricsRequest, SongAnswer
from bot.services.reports import (
    describe_entries,
    describe_model,
    describe_run,
    describe_schedule,
)
from bot.services.streaming import LiveText
from bot.services.training import RetrainRequest, TrainingJob
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
    "scheme": str,
    "syllables": str,
    "best_of": int,
    "words": str,
    "style": str,
    "form": str,
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


def format_notes(answer: LyricsAnswer) -> str:
    notes = "  ·  ".join(answer.summary())
    return f"\n\n[{notes}]\n[machine-generated; rate it with: rate 1-5]"


def format_report(report: StatsReport) -> str:
    lines = [f"{report.total_generations} generations, {report.total_ratings} ratings"]
    for title, groups in (
        ("by model", report.by_model_version),
        ("by temperature", report.by_temperature_band),
        ("by rhyme scheme", report.by_scheme),
        ("by words", report.by_words),
        ("by what asked", report.by_kind),
        ("by style", report.by_style),
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
        self.last: LyricsAnswer | SongAnswer | None = None  # what `rate` rates

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
        elif command == "song":
            await self._song(parse_lyrics_options(rest))
        elif command == "rate":
            await self._rate(rest)
        elif command == "stats":
            self.say(format_report(await self.services.db.stats(None)))
        elif command == "corpus":
            await self._corpus(rest)
        elif command in {"presets", "preset"}:
            await self._presets(rest)
        elif command == "retrain":
            await self._retrain(rest)
        elif command == "styles":
            styles = (await self.services.engine.generator_for(None)).model.tokenizer.styles
            self.say(f"Styles: {', '.join(styles)}." if styles else "This model has no styles.")
        elif command == "model":
            loaded = (await self.services.engine.generator_for(None)).model
            self.say(describe_model(self.services.engine.default_model, loaded))
        elif command == "schedule":
            last = await self.services.db.last_training_run()
            job = self.services.training.job
            self.say(describe_schedule(self.services.nightly.next_run(), last, job))
        elif command == "help":
            self.say(__doc__ or "")
        else:
            self.say(f"Unknown command {command!r}. Type help.")

    async def _lyrics(self, request: LyricsRequest) -> None:
        async def position(n: int) -> None:
            self.say(f"(queued: position {n})")

        request = await self.services.presets.choose(request)
        admission = self.services.lyrics.admit(request)
        live = LiveText()
        printer = asyncio.create_task(self._print_lines(request.seed.strip(), live))
        try:
            answer = await self.services.lyrics.write(admission, position, live=live)
        finally:
            live.finish()
            printed = await printer
        self.last = answer
        rest = answer.result.continuations[0][printed:] if printed else answer.text
        notes = format_notes(answer)
        self.say(rest + notes if rest.strip() else notes[1:])  # printed lines end in a newline

    async def _song(self, request: LyricsRequest) -> None:
        lyrics = self.services.lyrics
        answer = await lyrics.write_song(lyrics.admit(replace(request, kind="song")))
        notes = "  ·  ".join(answer.summary())
        self.say(f"{answer.song.text}\n\n[{notes}]\n[machine-generated; rate it with: rate 1-5]")
        self.last = answer

    async def _print_lines(self, seed: str, live: LiveText) -> int:
        """Lines as they are written; returns how much of the continuation was printed."""
        printed = 0
        while not live.finished:
            await live.changed.wait()
            live.changed.clear()
            if len(live.text) > printed:
                self.out.write((seed if not printed else "") + live.text[printed:])
                self.out.flush()
                printed = len(live.text)
        return printed

    async def _corpus(self, rest: list[str]) -> None:
        action, args = (rest[0], rest[1:]) if rest else ("list", [])
        corpus, db = self.services.corpus, self.services.db
        if action == "submit":
            styles = [a.removeprefix("style:") for a in args if a.startswith("style:")]
            words = [a.removeprefix("text:") for a in args if not a.startswith("style:")]
            text = " ".join(words).replace("\\n", "\n")
            style = styles[-1] if styles else None
            entry_id = await corpus.submit(text, source="submission", limited=True, style=style)
            self.say(f"Submitted as entry #{entry_id} (pending review).")
        elif action == "list":
            status = args[0] if args else "pending"
            if status not in {"pending", "approved", "rejected"}:
                raise UserFacingError("Status is pending, approved or rejected.")
            entries = await db.list_corpus_entries(status, limit=15)  # type: ignore[arg-type]
            self.say(describe_entries(status, entries, await db.corpus_counts()))
        elif action in {"approve", "reject"} and args and args[0].lstrip("#").isdigit():
            reason = " ".join(args[1:]) or None
            entry = await corpus.review(
                int(args[0].lstrip("#")), approve=action == "approve", reviewer=None,
                reason=reason,
            )  # fmt: skip
            self.say(f"Entry #{entry.id} {entry.status}.")
        else:
            raise UserFacingError("Try: /corpus list, /corpus approve 3, /corpus reject 3 why")

    async def _presets(self, rest: list[str]) -> None:
        presets = self.services.presets
        action, args = (rest[0], rest[1:]) if rest else ("show", [])
        if action == "pin" and len(args) == 1:
            await presets.pin(None, args[0], CONSOLE_USER)
            self.say(f"Pinned {args[0]}.")
        elif action == "unpin" and not args:
            await presets.pin(None, None, CONSOLE_USER)
            self.say("Unpinned: the bandit picks again.")
        elif action == "reset" and not args:
            await presets.reset(None, CONSOLE_USER)
            self.say("Preset learning reset: ratings from now on count.")
        elif action == "show" and not args:
            self.say((await presets.overview(None)).describe())
        else:
            raise UserFacingError("Try: /presets, /presets pin calm, /presets unpin or reset")

    async def _retrain(self, rest: list[str]) -> None:
        options = dict(word.partition(":")[::2] for word in rest)
        try:
            request = RetrainRequest(
                trigger="manual",
                level="word" if options.get("level") == "word" else "char",
                epochs=int(options["epochs"]) if "epochs" in options else None,
                minutes=float(options["minutes"]) if "minutes" in options else None,
                force=options.get("force", "no").lower() in {"yes", "true", "1"},
            )
        except ValueError:
            raise UserFacingError("epochs and minutes take numbers.") from None

        async def show(job: TrainingJob) -> None:
            self.say(f"  {job.describe()}")

        self.say("Retraining on the approved corpus…")
        run = await self.services.training.retrain(request, show)
        self.say(describe_run(run))

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
