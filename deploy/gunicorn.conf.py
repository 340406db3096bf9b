"""gunicorn for one node: `gunicorn -c deploy/gunicorn.conf.py thidua.wsgi:application` (docs/deployment.md).

Every value comes from the environment (the systemd unit's EnvironmentFile, deploy/thidua.env.example), with
defaults for a server of 2 to 8 cores. The site's own worker classes (thidua/web/serving.py) answer what gunicorn's
HTTP parser refuses with the site's Vietnamese page.
"""

import os

from thidua.web import serving


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name}={raw!r}: expected an integer") from exc


CORES = os.cpu_count() or 1

# A Unix socket (unix:/run/thidua/gunicorn.sock, the systemd unit's RuntimeDirectory) or a loopback address: only
# nginx, on the same server, talks to gunicorn.
bind = [os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"]
# The socket's mode: the owner and its group (nginx's user joins the group), nobody else.
umask = 0o007
# One process per core (2 at least, 8 at most), each serving several requests at once in threads (gunicorn's gthread
# worker): each process keeps the live standings, forecast and communes and brings them up to date after every act,
# so fewer processes with threads do that work fewer times (the end-of-day burst, docs/benchmarks.md: 4 sync
# workers on 2 cores saturated them, 2 workers × 4 threads kept the pace). Each thread holds a database connection
# (or DB_POOL_MAX_SIZE per process with DB_POOL=true): keep workers × threads × servers under PostgreSQL's
# max_connections.
workers = _int("GUNICORN_WORKERS", min(max(CORES, 2), 8))
# 1: gunicorn's sync worker (one request at a time per process).
threads = _int("GUNICORN_THREADS", 4)
worker_class = ("thidua.web.serving.VietnameseThreadWorker" if threads > 1
                else "thidua.web.serving.VietnameseSyncWorker")
limit_request_line = serving.limit_request_line
# After a request that read the standings from nothing, they are kept out of the garbage collector's full passes.
post_request = serving.post_request
# A database behind the code (an upgrade installed without `thidua migrate`) stops the start with a clear message.
on_starting = serving.on_starting
# Each worker logs the garbage collector's full passes slower than 0.1 s (every thread of the process waits).
post_worker_init = serving.post_worker_init

# A request still running after this many seconds has its worker killed and restarted. The import page reads a
# file for up to THIDUA_IMPORT_WEB_READ_SECONDS (20 s) and then checks and writes it: the limit leaves it room.
timeout = _int("GUNICORN_TIMEOUT", 120)
_import_read = _int("THIDUA_IMPORT_WEB_READ_SECONDS", 20)
if timeout <= _import_read + 10:
    raise SystemExit(f"GUNICORN_TIMEOUT={timeout}: must be above THIDUA_IMPORT_WEB_READ_SECONDS ({_import_read} s) "
                     "by 10 s at least, or the import page's workers are killed before they answer")
# On a restart or stop (systemd's SIGTERM), requests under way have this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Each worker is replaced after about this many requests (jittered, so that they are not replaced all at once):
# memory that a large workbook or document left behind is returned. Not often: a new worker reads the standings,
# the forecast and the communes from nothing (2–5 s at a national volume) before its first page.
max_requests = _int("GUNICORN_MAX_REQUESTS", 20_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2_000)
# systemd starts, reloads (HUP) and stops gunicorn with signals: no control socket (gunicorn would make one in the
# service user's home, which the unit keeps read-only).
control_socket_disable = True
# Behind nginx, which keeps the client's connection: gunicorn's own to nginx are short.
keepalive = 2

# The site logs each request itself (logger thidua.request, LOG_REQUESTS=true: with the user and the request id),
# so gunicorn's access log is off; its own messages (start, workers, timeouts) go to the standard error, in the
# format of LOG_FORMAT, like the site's: systemd's journal collects both.
accesslog = None
_format = os.environ.get("LOG_FORMAT") or "text"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "thidua.lib.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": _format, "stream": "ext://sys.stderr"}},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False}},
}
