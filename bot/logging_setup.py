"""One logging configuration for the whole process, with the token scrubbed from every line."""

from __future__ import annotations

import logging
import logging.handlers

from bot.discord_app.connect import OneLineReconnects
from bot.settings import Settings

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactToken(logging.Filter):
    """Belt and braces: even if a library logs a request carrying the token, it never lands."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and self.token in record.getMessage():
            record.msg = record.getMessage().replace(self.token, "[token]")
            record.args = None
        return True


def configure_logging(settings: Settings) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if settings.log_file is not None:
        settings.log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                settings.log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
            )
        )
    redact = RedactToken(settings.token)
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(OneLineReconnects())
        handler.addFilter(redact)
    logging.basicConfig(level=settings.log_level, handlers=handlers, force=True)
    logging.getLogger("discord").setLevel(
        max(logging.INFO, logging.getLevelName(settings.log_level))
    )
