"""Log set-up, and the request id that ties a response to its log lines."""

import logging
import re
import time
from contextvars import ContextVar
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str] = ContextVar("request_id", default="-")

LogFormat = Literal["text", "json"]
_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
_TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class _SecondCache:
    """Formats a record's time as logging does by default, making the text once per second: the
    request log line is written on every request, and strftime was a good part of its cost."""

    _second = -1
    _text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt is not None:
            return logging.Formatter.formatTime(self, record, datefmt)  # type: ignore[arg-type]
        second = int(record.created)
        if second != self._second:
            self._second, self._text = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._text},{int(record.msecs):03d}"


# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators: in a message they
# could end a text log line and start a forged one ("GET /x%0A... INFO tasks.http ...").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(character: re.Match[str]) -> str:
    return character.group().encode("unicode_escape").decode("ascii")


class _TextFormatter(_SecondCache, logging.Formatter):
    """One line per record, whatever a client put in what is logged: control characters in the
    message are written as escapes (\\n, \\x1b, \\u2028). JSON lines escape them by themselves."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802
        message = record.message
        if _CONTROL.search(message) is None:
            return super().formatMessage(record)
        record.message = _CONTROL.sub(_escaped, message)
        try:
            return super().formatMessage(record)
        finally:
            record.message = message  # other handlers see the record as it was


class _JsonFormatter(_SecondCache, JsonFormatter):
    pass


def configure_logging(level: str, log_format: LogFormat = "text") -> None:
    """One handler on the root logger; `json` writes one JSON object per line, extra fields included."""
    # Nothing logged names its source line, thread or process: skip finding them for each record
    # (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(_JsonFormatter(_FIELDS, rename_fields={"levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(
            _TextFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
