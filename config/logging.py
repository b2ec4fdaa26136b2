"""Log formatting: plain lines by default, JSON lines with LOG_FORMAT=json. Every line
logged while a request is handled carries that request's id (see ops.middleware)."""

import contextvars
import json
import logging
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default="-"
)

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
}
_SCALARS = (str, int, float, bool, type(None))


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        # A refused or malformed request is the client's doing: one line says so,
        # without the traceback Django attaches, which reads like a crash at 3 a.m.
        client_error = getattr(record, "status_code", 500) < 500
        if record.name == "django.request" and client_error:
            record.exc_info = None
            record.exc_text = None
        return True


class PlainFormatter(logging.Formatter):
    """One line per record: control characters in the message (user input, say)
    are escaped, so nobody can start a forged line. Tracebacks keep their lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        return line.translate(_ESCAPES)


_ESCAPES = {code: f"\\x{code:02x}" for code in range(32) if code != 9} | {
    10: "\\n",
    13: "\\r",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line. json.dumps escapes newlines, so text from a user in a
    message cannot start a forged line of its own."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.fromtimestamp(record.created, UTC)
        entry = {
            "time": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and isinstance(value, _SCALARS):
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def build_logging(*, level: str, log_format: str) -> dict:
    """The LOGGING dict for settings: one console handler, plain or JSON."""
    formatters = {
        "plain": {
            "()": "config.logging.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "config.logging.JsonFormatter"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # Axes logs every attempt at INFO; lockouts still show as warnings,
            # and accounts.audit records every failed login.
            "axes": {"level": "WARNING"},
        },
    }
