"""Structured logs for ``trailguard run``: one line per event on standard error, as text for people or as one JSON
object per line (``--log-format json``) for log shippers.

Every line has a time (UTC, ISO 8601), a level, the logger's name and a message; structured fields given as
``logger.info(message, extra={"fields": {...}})`` are appended as ``key=value`` (text) or as keys of the object
(JSON). The whole ``trailguard`` logger tree goes through it, the notification outbox's warnings included.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final, TextIO

__all__ = ["LOG_FORMATS", "JsonFormatter", "TextFormatter", "configure_logging", "fields"]

LOG_FORMATS: Final = ("text", "json")


def fields(**values: Any) -> dict[str, Any]:
    """``extra=`` for a log call carrying structured fields."""
    return {"fields": values}


def _time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_time(record)} {record.levelname.lower():<7} {record.getMessage()}"
        extra = getattr(record, "fields", {})
        if extra:
            line += " " + " ".join(f"{key}={_text(value)}" for key, value in extra.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return json.dumps(text, ensure_ascii=False) if (not text or any(c.isspace() or c == '"' for c in text)) else text


def configure_logging(log_format: str, *, level: int = logging.INFO, stream: TextIO | None = None) -> logging.Logger:
    """Send the ``trailguard`` logger tree to ``stream`` (standard error) in ``log_format``; returns that logger."""
    logger = logging.getLogger("trailguard")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger
