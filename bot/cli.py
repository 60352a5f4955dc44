"""`lyricbot run|console|export|report|migrate|…`: the bot's command line.

Known problems (a bad setting, an unreadable database) end with one line and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import discord

from bot.backup import backup, restore
from bot.console import run_console
from bot.discord_app.client import LyricBot, health_report, make_bot
from bot.discord_app.connect import log_in
from bot.doctor import diagnose
from bot.health import HealthServer
from bot.logging_setup import configure_logging
from bot.migrate import migrate_database
from bot.services.container import Services, open_services
from bot.services.corpus import CorpusService
from bot.services.errors import UserFacingError
from bot.services.html_report import write_report
from bot.services.proposals import MIN_MEAN, MIN_RATERS, describe_proposals, propose_highly_rated
from bot.settings import Settings, SettingsError, check_shards, load_settings, read_environment
from bot.storage import Database, StorageError, export

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 15.0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        env = read_environment()
        settings = load_settings(env, require_token=args.command == "run")
        if args.command != "run" and "LYRICBOT_LOG_LEVEL" not in env:
            settings = replace(settings, log_level="WARNING")  # keep the terminal readable
        configure_logging(settings)
        return asyncio.run(args.handler(settings, args))
    except (SettingsError, StorageError) as exc:
        print(f"lyricbot: error: {exc}", file=sys.stderr)
        return 2
    except discord.LoginFailure:
        print("lyricbot: error: Discord refused DISCORD_TOKEN; check it", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lyricbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cmd = sub.add_parser("run", help="run the Discord bot")
    cmd.add_argument("--shards", type=_shard_ids, help="shard ids this process runs: 0,1")
    cmd.add_argument("--shard-count", type=int, help="shards in all, over every process")
    cmd.set_defaults(handler=run_bot)
    sub.add_parser("console", help="the bot's commands in a terminal, no token needed")
    sub.choices["console"].set_defaults(handler=console)
    cmd = sub.add_parser("export", help="write the generation log for human evaluation")
    cmd.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    cmd.add_argument("--out", type=Path, help="file to write (default: standard output)")
    cmd.set_defaults(handler=export_log)
    cmd = sub.add_parser("report", help="write the human evaluation as one HTML page")
    cmd.add_argument("--out", type=Path, default=Path("report.html"), help="the page to write")
    cmd.add_argument("--guild", type=int, help="one server's ratings only (default: all)")
    cmd.add_argument("--export", type=Path, help="also write the log (.csv or .jsonl), linked")
    cmd.set_defaults(handler=report_command)
    cmd = sub.add_parser("corpus", help="manage the training corpus")
    corpus_sub = cmd.add_subparsers(dest="corpus_command", required=True, metavar="ACTION")
    imp = corpus_sub.add_parser("import", help="add songs from .txt/.json/.csv files or a folder")
    imp.add_argument("path", type=Path)
    imp.add_argument("--approve", action="store_true", help="approve them at once")
    imp.add_argument("--licence", help="provenance/licence note stored with each entry")
    imp.set_defaults(handler=import_corpus)
    prop = corpus_sub.add_parser("propose", help="offer the highest-rated answers for review")
    prop.add_argument("--min-mean", type=float, default=MIN_MEAN, help="default %(default)s")
    prop.add_argument("--min-raters", type=int, default=MIN_RATERS, help="default %(default)s")
    prop.add_argument("--guild", type=int, help="one server's answers only (default: all)")
    prop.set_defaults(handler=propose_corpus)
    sub.add_parser("doctor", help="check settings, database, models and disk").set_defaults(
        handler=doctor
    )
    cmd = sub.add_parser("backup", help="online backup of the database and serving model")
    cmd.add_argument("target", type=Path, help="folder to write the backup into")
    cmd.set_defaults(handler=backup_command)
    cmd = sub.add_parser("migrate", help="copy the installation into another (empty) database")
    cmd.add_argument("--from", dest="source", required=True, help="sqlite:///PATH or a path")
    cmd.add_argument("--to", dest="target", required=True, help="postgresql://… (or sqlite:///…)")
    cmd.set_defaults(handler=migrate_command)
    cmd = sub.add_parser("restore", help="restore a backup (stop the bot first)")
    cmd.add_argument("source", type=Path, help="a folder written by `lyricbot backup`")
    cmd.set_defaults(handler=restore_command)
    return parser


def _shard_ids(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"shard ids are numbers like 0,1, not {text!r}") from None


def _with_shards(settings: Settings, args: argparse.Namespace) -> Settings:
    """`--shards`/`--shard-count` win over LYRICBOT_SHARDS/LYRICBOT_SHARD_COUNT."""
    shard_ids = args.shards if args.shards is not None else settings.shard_ids
    shard_count = args.shard_count if args.shard_count is not None else settings.shard_count
    return check_shards(replace(settings, shard_ids=shard_ids, shard_count=shard_count))


async def run_bot(settings: Settings, args: argparse.Namespace) -> int:
    settings = _with_shards(settings, args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with open_services(settings, schedule=True) as services:
        bot: LyricBot | None = None  # until a login succeeds; the report reads it when asked
        health = HealthServer(settings.health_port, lambda: health_report(services, bot))
        if settings.health_port:
            await health.start()
        try:
            bot = await log_in(lambda: make_bot(settings, services), settings.token, stop)
            if bot is not None:
                await serve(bot, services, stop)
        finally:
            await health.close()
    log.info("stopped cleanly")
    return 0


async def serve(bot: LyricBot, services: Services, stop: asyncio.Event) -> None:
    """Run the gateway until a signal asks to stop, then let running answers finish."""
    async with bot:
        runner = asyncio.create_task(bot.connect(), name="discord")
        stopper = asyncio.create_task(stop.wait(), name="signal")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("shutting down")
            await services.training.close()  # a retrain ends now, not after its epochs
            await bot.drain(SHUTDOWN_GRACE_SECONDS)
        await bot.close()
        stopper.cancel()
        if runner in done:
            runner.result()  # surface a gateway failure discord.py gave up on
        else:
            await asyncio.gather(runner, return_exceptions=True)


async def console(settings: Settings, args: argparse.Namespace) -> int:
    async with open_services(settings) as services:
        await run_console(services)
    return 0


async def export_log(settings: Settings, args: argparse.Namespace) -> int:
    async with await Database.open(settings.database) as db:
        count = await export(db, args.out or sys.stdout, args.format)
    if args.out:
        print(f"wrote {count} generations to {args.out}", file=sys.stderr)
    return 0


async def report_command(settings: Settings, args: argparse.Namespace) -> int:
    async with await Database.open(settings.database) as db:
        data = await write_report(db, args.out, guild_id=args.guild, export_to=args.export)
    ratings = data.evaluation.overall.ratings
    print(f"wrote {args.out}: {ratings} ratings, open it in a browser", file=sys.stderr)
    return 0


async def import_corpus(settings: Settings, args: argparse.Namespace) -> int:
    async with await Database.open(settings.database) as db:
        corpus = CorpusService(db, settings)
        try:
            added, present = await corpus.import_path(
                args.path, approve=args.approve, licence=args.licence
            )
        except UserFacingError as exc:
            print(f"lyricbot: error: {exc}", file=sys.stderr)
            return 2
    status = "approved" if args.approve else "pending review"
    print(f"imported {added} songs ({status}); skipped {present} (duplicates, empty or too big)")
    return 0


async def propose_corpus(settings: Settings, args: argparse.Namespace) -> int:
    async with await Database.open(settings.database) as db:
        proposals = await propose_highly_rated(
            db, CorpusService(db, settings), proposer=None, guild_id=args.guild,
            min_mean=args.min_mean, min_raters=args.min_raters,
        )  # fmt: skip
    print(describe_proposals(proposals, args.min_mean, args.min_raters))
    return 0


async def doctor(settings: Settings, args: argparse.Namespace) -> int:
    findings = await diagnose(settings)
    for finding in findings:
        print(finding.line())
    return 0 if all(f.ok for f in findings) else 1


async def backup_command(settings: Settings, args: argparse.Namespace) -> int:
    folder = await backup(settings, args.target)
    print(f"backup written to {folder}")
    return 0


async def restore_command(settings: Settings, args: argparse.Namespace) -> int:
    try:
        serving = await restore(settings, args.source)
    except UserFacingError as exc:
        print(f"lyricbot: error: {exc}", file=sys.stderr)
        return 2
    where = settings.database.masked
    print(f"restored {where} and model {serving or '(none)'} from {args.source}")
    return 0


async def migrate_command(settings: Settings, args: argparse.Namespace) -> int:
    checks, report = await migrate_database(args.source, args.target)
    print(report)
    return 0 if all(check.ok for check in checks) else 1
