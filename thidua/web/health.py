"""The health endpoint, for the proxy, the monitoring and the people on call: does this process reach its database?

No login, no session, no CSRF, never cached; it says ok or not, and nothing of the data, the version or the server.
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from thidua.audit.selectors import chain_head

logger = logging.getLogger(__name__)
DATABASE_DOWN = ("Hệ thống tạm thời không kết nối được cơ sở dữ liệu nên chưa phục vụ được. Bộ phận kỹ thuật "
                 "đang xử lý; vui lòng thử lại sau ít phút.")


def database_answers() -> None:
    """Run `SELECT 1` and read the head of the history's chain; on PostgreSQL within THIDUA_HEALTH_TIMEOUT_MS.

    Raises DatabaseError when the database does not answer. SQLite's reads never wait for a writer (WAL), and are
    not put in a transaction, which would queue behind an import's (IMMEDIATE).
    """
    if connection.vendor != "postgresql":
        _read()
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(settings.THIDUA_HEALTH_TIMEOUT_MS)])
        _read()


def _read() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    chain_head()


@never_cache
@require_safe
def health(request):
    """Answer 200 {"trang_thai": "ok"} when the database answers, else 503 with a Vietnamese message."""
    try:
        database_answers()
    except DatabaseError as exc:
        logger.error("Health check: the database does not answer: %s", exc)
        return JsonResponse({"trang_thai": "loi", "co_so_du_lieu": "loi", "thong_bao": DATABASE_DOWN}, status=503,
                            json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"trang_thai": "ok", "co_so_du_lieu": "ok"})
