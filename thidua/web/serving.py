"""gunicorn as the site needs it: `gunicorn -c python:thidua.web.serving thidua.wsgi:application …` (README).

gunicorn reads a request's line and headers itself, before Django. What its parser refuses — a header or cookie
holding a control character, a request line or a header over its limits — it answers with an English page of its
own; the worker below answers those with the site's Vietnamese page instead (other refusals, which no browser
provokes, keep gunicorn's answer). The request line may be as long as behind nginx's default buffers (8 KiB), so
that an address the proxy lets through reaches Django, whose guards answer in Vietnamese too.
"""

import gc
import logging
import os
import time
from collections import deque

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from gunicorn import util
from gunicorn.http.errors import (
    InvalidHeader,
    InvalidHeaderName,
    InvalidRequestLine,
    LimitRequestHeaders,
    LimitRequestLine,
)
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

from thidua.lib.vn import number

# gunicorn's settings, read from this module by `-c python:thidua.web.serving`.
worker_class = "thidua.web.serving.VietnameseSyncWorker"
limit_request_line = 8190  # gunicorn's most; what nginx's default `large_client_header_buffers 4 8k` lets through

_frozen_at = [0]
logger = logging.getLogger(__name__)
GC_SLOW_S = 0.1  # a full pass of the garbage collector longer than this is logged: every thread of the process waits
_gc_started = [0.0]
_gc_slow: deque = deque(maxlen=100)  # (seconds, objects freed) of the slow passes not logged yet

NOT_MIGRATED = ("Cơ sở dữ liệu chưa được cập nhật cho phiên bản này: còn {n} bước cập nhật cấu trúc chưa chạy (đầu "
                "tiên: {first}). Trang web không khởi động để khỏi trả lời sai hay báo nhầm là mất kết nối. Chạy "
                "`thidua migrate` với cùng tệp cấu hình rồi khởi động lại dịch vụ.")


def unapplied_migrations() -> list[str]:
    """Return the migrations of this code that the database has not run ("app.name", in order); none when the
    database does not answer yet (the site then starts, answers 503 and recovers by itself once it does)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thidua.settings")  # as thidua/wsgi.py, not imported yet here
    django.setup()
    from django.db import DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections["default"])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return []
    finally:
        # Never a connection, or a pool of them (DB_POOL=true), opened by the master and shared by the workers it
        # forks: each worker opens its own.
        connections.close_all()
        for connection in connections.all(initialized_only=True):
            if hasattr(connection, "close_pool"):
                connection.close_pool()
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def on_starting(server) -> None:
    """Refuse to start on a database the code's migrations have not reached (an upgrade installed without
    `thidua migrate`): every page would otherwise fail on a missing table or column — SQLite's as «the database does
    not answer», PostgreSQL's as a 500 — which says nothing of the cause. systemd's journal shows the message."""
    pending = unapplied_migrations()
    if pending:
        message = NOT_MIGRATED.format(n=len(pending), first=pending[0])
        server.log.error(message)
        raise SystemExit(message)


def _time_full_passes(phase: str, info: dict) -> None:
    """Time the garbage collector's full passes (a `gc.callbacks` entry): the slow ones are kept to be logged after
    the request (never from inside a collection)."""
    if info.get("generation") != 2:
        return
    if phase == "start":
        _gc_started[0] = time.perf_counter()
        return
    took = time.perf_counter() - _gc_started[0]
    if took > GC_SLOW_S:
        _gc_slow.append((took, info.get("collected", 0)))


def post_worker_init(worker) -> None:
    """In each worker: time the garbage collector's full passes (logged by post_request when slow)."""
    if _time_full_passes not in gc.callbacks:
        gc.callbacks.append(_time_full_passes)


def _log_slow_passes() -> None:
    while True:
        try:  # the threads of a worker drain one deque: another may have taken the last pass meanwhile
            took, collected = _gc_slow.popleft()
        except IndexError:
            return
        logger.warning("Dọn bộ nhớ toàn phần (gc) trong %.2f s: mọi luồng của tiến trình chờ trong lúc đó (%s đối "
                       "tượng được giải phóng; %s đối tượng giữ cố định)", took, collected, gc.get_freeze_count(),
                       extra={"gc_seconds": round(took, 3)})


def post_request(worker, req, environ, resp) -> None:
    """After a request that read a campaign's standings from nothing (thidua/standings/selectors.py), move what the
    process holds out of the reach of the cyclic garbage collector's full passes (`gc.freeze`).

    A national campaign's standings are a few hundred thousand objects kept for the process's life; a full pass
    scanned them all, 0.2–0.4 s during which the process's threads wait (measured: 6 ms once frozen). What was frozen
    and later let go is freed by its reference counts (the standings hold no cycles). A gunicorn hook, not a
    side effect of reading the standings: the commands and the tests never freeze."""
    from thidua.standings.selectors import full_reads

    _log_slow_passes()
    reads = full_reads()
    if reads != _frozen_at[0]:
        _frozen_at[0] = reads
        gc.freeze()


BAD_HEADER = ("Yêu cầu bị từ chối: trình duyệt gửi một tiêu đề hoặc cookie có ký tự không hợp lệ (như ký tự điều "
              "khiển), hệ thống không đọc nên không làm gì. Xóa cookie của trang này trong trình duyệt rồi thử lại.")
URL_TOO_LONG = ("Địa chỉ trang quá dài (hơn {limit} byte): hệ thống không đọc nên không làm gì. Hãy mở lại trang "
                "từ trình đơn, bớt điều kiện lọc, rồi thử lại.")
HEADERS_TOO_LARGE = ("Tiêu đề hoặc cookie của yêu cầu quá lớn: hệ thống không đọc nên không làm gì. Xóa cookie của "
                     "trang này trong trình duyệt rồi thử lại.")


def refusal(exc) -> tuple[int, str, str | None] | None:
    """Return (status, reason phrase, message) of the site's answer to a request gunicorn's parser refused (a
    message of None: the page's general one), or None to leave gunicorn's own answer."""
    if isinstance(exc, LimitRequestLine):
        return 414, "URI Too Long", URL_TOO_LONG.format(limit=number(limit_request_line))
    if isinstance(exc, LimitRequestHeaders):
        return 431, "Request Header Fields Too Large", HEADERS_TOO_LARGE
    if isinstance(exc, InvalidHeader | InvalidHeaderName):
        return 400, "Bad Request", BAD_HEADER
    if isinstance(exc, InvalidRequestLine):
        return 400, "Bad Request", None
    return None


def refusal_bytes(status: int, reason: str, message: str | None) -> bytes:
    """Return the whole HTTP answer: the site's 400 page, in the site's language, with its security headers."""
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string("400.html", {"message": message}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nContent-Language: {settings.LANGUAGE_CODE}\r\n"
            f"Content-Security-Policy: {settings.CONTENT_SECURITY_POLICY}\r\nX-Frame-Options: DENY\r\n"
            "X-Content-Type-Options: nosniff\r\n\r\n")
    return head.encode("latin-1") + body


class VietnameseRefusals:
    """Answer the requests gunicorn's parser refuses with the site's Vietnamese page (mixed into a worker class)."""

    def handle_error(self, req, client, addr, exc):
        answer = refusal(exc)
        if answer is None:
            return super().handle_error(req, client, addr, exc)
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, refusal_bytes(*answer))
        except OSError:
            self.log.debug("Failed to send error message.")
        return None


class VietnameseSyncWorker(VietnameseRefusals, SyncWorker):
    """gunicorn's sync worker (one request at a time per process), with the site's refusals."""


class VietnameseThreadWorker(VietnameseRefusals, ThreadWorker):
    """gunicorn's threaded worker (deploy/gunicorn.conf.py, GUNICORN_THREADS > 1), with the site's refusals."""
