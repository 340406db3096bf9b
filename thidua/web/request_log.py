"""One line of the log per request (logger `thidua.request`, at INFO: LOG_REQUESTS=true), and its request id.

The id is the caller's `X-Request-ID` when it is a short, plain token (nginx sends its own `$request_id`, so that
its access log and this one name the same request), else a new one; it is sent back in the answer's header and
kept on the request for any other log line. The line holds the method, the path without its query string, the
status, the time taken and the user name: never a query's values, a form or a body.
"""

import logging
import re
import time
import uuid

from django.utils.functional import empty

logger = logging.getLogger("thidua.request")
REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id(request) -> str:
    """Return the caller's request id if it is a plain token of at most 64 characters, else a new random one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def user_name(request) -> str:
    """Return the signed-in user's name if a layer already read who the user is; never reads the session for it."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return ""
    return user.get_username() if user.is_authenticated else ""


def request_log(get_response):
    """Give every request an id, send it back in `X-Request-ID`, and log the request once it is answered."""

    def middleware(request):
        started = time.monotonic()
        request.request_id = request_id(request)
        response = get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        if logger.isEnabledFor(logging.INFO):
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            logger.info("%s %s %s %s ms", request.method, request.path, response.status_code, duration_ms,
                        extra={"method": request.method, "path": request.path, "status": response.status_code,
                               "duration_ms": duration_ms, "user": user_name(request),
                               "request_id": request.request_id})
        return response

    return middleware
