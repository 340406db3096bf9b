"""Log records as one JSON object a line (LOG_FORMAT=json): what a log collector reads without a parsing rule."""

import datetime as dt
import json
import logging

# The attributes every LogRecord has: anything else on a record was passed by `extra=` and is written as a field,
# but for Django's `request` (django.request, django.server, django.security): its text holds the query string.
_LEFT_OUT = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request"}


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: time (ISO 8601 with its offset), level, logger, the process's id,
    message, the fields given by `extra=` (a request's method, path, status, duration_ms, user, request_id), and the
    traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,  # several workers write one journal: whose line it is
            "message": record.getMessage(),
        }
        entry.update((k, v) for k, v in record.__dict__.items() if k not in _LEFT_OUT and not k.startswith("_"))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: an object passed in `extra=` (a request, a path) is written as its text rather than dropped.
        return json.dumps(entry, ensure_ascii=False, default=str)
