"""Middleware of the site's own: the response headers the framework does not set by itself, the language, the clean
answers to a database that does not answer and to a full disk, the guard that refuses control characters in any
request before a view or the database sees them, and the bound on the length of a page's query parameters."""

import json
import logging
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from thidua.api.errors import (
    CODES,
    CONTROL_CHARACTER,
    MESSAGES,
    RETRY_AFTER,
    UNREADABLE_BODY,
    VALIDATION_MESSAGES,
    error_body,
)
from thidua.audit.models import REASON_MAX
from thidua.lib.storage import is_disk_full
from thidua.lib.text import has_control, json_control_path
from thidua.lib.vn import number

API_PREFIX = "/api/"
REFUSED = _("Yêu cầu bị từ chối: {where} có ký tự điều khiển (như NUL), hệ thống không nhận nên không làm gì. "
            "Xóa ký tự đó (thường lẫn vào khi sao chép) rồi gửi lại.")
PLACES = {"path": _("địa chỉ trang"), "query": _("tham số «{name}» của địa chỉ"), "form": _("ô «{name}» của biểu mẫu"),
          "file": _("tên tệp gửi lên"), "cookie": _("cookie «{name}» của trình duyệt"), "json": _("nội dung JSON")}
SHOWN_NAME = 40
# The longest query parameter a page takes: its longest search is for a whole reason of the history.
QUERY_VALUE_MAX = REASON_MAX
QUERY_TOO_LONG = _("Yêu cầu bị từ chối: tham số «{name}» của địa chỉ dài {length} ký tự, quá mức {limit} ký tự mà "
                   "các trang tìm hay lọc theo. Hãy rút ngắn rồi thử lại.")
CONTROL_IN_FIELD = VALIDATION_MESSAGES["string_pattern_mismatch"]

logger = logging.getLogger(__name__)


def content_security_policy(get_response):
    """Add the Content-Security-Policy of the settings to every response that has none."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response

    return middleware


def language_from_cookie(get_response):
    """Activate the language of the language cookie when the site offers it, else the site's own (Vietnamese).

    Unlike Django's LocaleMiddleware, never from the browser's Accept-Language: the product is in Vietnamese, and
    English only for whoever picks it with the switch in the footer (Django's set_language view sets the cookie).
    """

    def middleware(request):
        language = _language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response

    return middleware


def _language(request) -> str:
    """Return the language of the request's language cookie when the site offers it, else the site's own."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


# --- a database that does not answer, a full disk ---------------------------------------------------------------

DATABASE, DISK = 503, 507
# Where the fault met outside a view (a middleware reading the session or the user) is noted on the request.
FAULT_NOTE = "_thidua_fault"


def fault_of(exc: BaseException) -> int | None:
    """Return the status that answers an exception the site cannot help but can name: 503 for a database that does
    not answer (restarted, unreachable, refusing connections: Django raises OperationalError or InterfaceError,
    psycopg's and sqlite3's own errors wrapped), 507 for a write refused for want of room; None for anything else.

    507 Insufficient Storage (RFC 4918) rather than 503: it says what failed, and that trying again helps only once
    an administrator has freed room, hence no Retry-After."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return DATABASE
    if is_disk_full(exc):
        return DISK
    return None


def _fault_answer(request, status: int) -> HttpResponse:
    """Return the answer to a fault: the API's error shape under /api/, else a page in the request's language,
    rendered without the request (its context processors would read the user, hence the database)."""
    logger.warning("%s: %s %s", "Cơ sở dữ liệu không trả lời" if status == DATABASE else "Hết chỗ lưu tệp",
                   request.method, request.path)
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse(error_body(CODES[status], MESSAGES[status]), status=status,
                                json_dumps_params={"ensure_ascii": False})
    else:
        with translation.override(_language(request)):
            response = HttpResponse(render_to_string(f"{status}.html"), status=status)
    if status == DATABASE:
        response["Retry-After"] = str(RETRY_AFTER)
    return response


def _note_fault(sender, request=None, **kwargs):
    """Note on the request a fault met outside a view, as Django turns it into a 500 (got_request_exception is sent
    while the exception is handled)."""
    status = fault_of(sys.exc_info()[1]) if request is not None else None
    if status is not None:
        setattr(request, FAULT_NOTE, status)


got_request_exception.connect(_note_fault, dispatch_uid="thidua.web.middleware.faults")


class FaultAnswers:
    """Answer a database that does not answer with a 503 and a full disk with a 507, each with its Vietnamese page
    (or the API's error shape), never a 500 with a traceback. Nothing is half-written: the transaction the error
    broke is rolled back, a file being written is removed by its writer, and the next request connects again.

    A view's fault comes through process_exception; one met in a middleware (the session, the user) has already
    become a 500 when it gets here, noted on the request by _note_fault: that 500 is answered as the fault. The
    API's own faults are answered by its handlers (thidua/api/errors.py), ninja catching its views' exceptions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = getattr(request, FAULT_NOTE, None)
        if status is not None and response.status_code == 500:
            return _fault_answer(request, status)
        return response

    def process_exception(self, request, exc):
        status = fault_of(exc)
        return None if status is None else _fault_answer(request, status)


def _pairs(querydict):
    for key, values in querydict.lists():
        for value in values:
            yield key, value


def _shown(name: str) -> str:
    return "?" if has_control(name) else name[:SHOWN_NAME]


def _control_in_request(request) -> tuple[str, str]:
    """Return (place, name) of the first control character in the request's path, cookies, query, form (names and
    values) or uploaded files' names; ("", "") when there is none. The API's body is read by `_control_in_json`."""
    if has_control(request.path_info):
        return "path", ""
    places = [("cookie", request.COOKIES.items()), ("query", _pairs(request.GET))]
    if request.method == "POST" and not request.path_info.startswith(API_PREFIX):
        places += [("form", _pairs(request.POST)),
                   ("file", ((name, upload.name or "") for name, upload in _pairs(request.FILES)))]
    for place, pairs in places:
        for name, value in pairs:
            if has_control(name) or has_control(value):
                return place, _shown(name)
    return "", ""


def _control_in_json(request) -> tuple | None:
    """Return the path to a control character in the request's JSON body (a key or a value at any depth), or None
    when there is none or the body is not JSON (the API then says so itself). RecursionError: too deep to read."""
    try:
        body = json.loads(request.body) if request.body else None
    except (ValueError, RequestDataTooBig):
        return None
    return json_control_path(body)


def _api_answer(code: str, message: str, details=()) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=400, json_dumps_params={"ensure_ascii": False})


def _api_refusal(place: str, name: str, json_path: tuple | None) -> JsonResponse:
    """Return the API's answer (Vietnamese only, like all its messages) to a control character."""
    with translation.override("vi"):
        message = str(REFUSED).format(where=str(PLACES[place]).format(name=name))
    details = ()
    if json_path is not None:
        row = next((p for p in json_path if isinstance(p, int)), None)
        field = json_path[-1] if json_path and isinstance(json_path[-1], str) else None
        details = [(row, field if field and not has_control(field) else None, CONTROL_IN_FIELD)]
    return _api_answer(CONTROL_CHARACTER, message, details)


def refuse_control_characters(get_response):
    """Refuse a request holding a control character (NUL, ESC, DEL… but not tab or line breaks) anywhere a view
    could read it: 400 with a Vietnamese page, or the API's error shape under /api/. No view sees it, hence neither
    the database (PostgreSQL refuses NUL in text) nor a page."""

    def middleware(request):
        place, name = _control_in_request(request)
        if not request.path_info.startswith(API_PREFIX):
            if not place:
                return get_response(request)
            message = str(REFUSED).format(where=str(PLACES[place]).format(name=name))
            return render(request, "400.html", {"message": message}, status=400)
        json_path = None
        if not place:
            try:
                json_path = _control_in_json(request)
            except RecursionError:
                return _api_answer(CODES[400], UNREADABLE_BODY)
            if json_path is None:
                return get_response(request)
            place = "json"
        return _api_refusal(place, name, json_path)

    return middleware


def bound_query_parameters(get_response):
    """Refuse a page whose query parameter (name or value) is longer than QUERY_VALUE_MAX: 400 with a Vietnamese page,
    so that no search or filter makes the database work without bound (SQLite refuses a LIKE pattern over 50,000
    bytes as an error). The API's parameters are bounded by its schemas."""

    def middleware(request):
        if not request.path_info.startswith(API_PREFIX):
            for name, value in _pairs(request.GET):
                length = max(len(name), len(value))
                if length > QUERY_VALUE_MAX:
                    message = str(QUERY_TOO_LONG).format(name=name[:SHOWN_NAME], length=number(length),
                                                         limit=number(QUERY_VALUE_MAX))
                    return render(request, "400.html", {"message": message}, status=400)
        return get_response(request)

    return middleware
