"""One shape for every error of the API, whoever raises it (our views, ninja, pydantic, Django, a bug):

    {"loi": {"ma": "khong_tim_thay", "thong_diep": "<câu tiếng Việt>",
             "chi_tiet": [{"dong": 0, "truong": "so_ho_so", "thong_diep": "..."}]}}
"""

import functools
import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.urls import URLPattern
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from thidua.intake.services import ReportError
from thidua.lib.storage import DISK_FULL, is_disk_full

from .services import IntakeRefused

logger = logging.getLogger(__name__)

CODES = {
    400: "yeu_cau_khong_hop_le",
    401: "chua_xac_thuc",
    403: "khong_co_quyen",
    404: "khong_tim_thay",
    405: "phuong_thuc_khong_ho_tro",
    413: "yeu_cau_qua_lon",
    422: "du_lieu_khong_hop_le",
    429: "qua_nhieu_yeu_cau",
    500: "loi_he_thong",
    503: "co_so_du_lieu_khong_tra_loi",
    507: "het_cho_luu_tru",
}
MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Cần mã truy cập hợp lệ trong tiêu đề «Authorization: Bearer <mã>»: mã bị thiếu, sai, đã bị thu hồi, "
         "hoặc tài khoản đã bị khóa.",
    403: "Bạn không có quyền làm việc này.",
    404: "Không tìm thấy.",
    405: "Địa chỉ này không nhận phương thức {method}.",
    413: "Yêu cầu quá lớn.",
    422: "Dữ liệu gửi lên không đúng khuôn dạng.",
    429: "Quá nhiều yêu cầu; thử lại sau.",
    500: "Lỗi hệ thống; lỗi đã được ghi lại, xin báo cho quản trị.",
    503: "Cơ sở dữ liệu tạm thời không trả lời: yêu cầu này chưa được ghi; thử lại sau ít phút (gửi lại với cùng "
         "Idempotency-Key thì không bao giờ bị ghi hai lần).",
    507: DISK_FULL,
}
# Seconds a client waits before trying again after a 503: about the time PostgreSQL takes to restart.
RETRY_AFTER = 30
UNREADABLE_BODY = "Không đọc được thân yêu cầu: cần JSON (Content-Type: application/json)."
# A 400 of its own: a control character (NUL…) in the path, a parameter or the body, refused before any operation
# (thidua/web/middleware.py).
CONTROL_CHARACTER = "ky_tu_khong_hop_le"


class ErrorDetail(Schema):
    dong: int | None = Field(None, description="Vị trí của dòng trong `rows` (đếm từ 0), nếu lỗi thuộc một dòng.")
    truong: str | None = Field(None, description="Trường (hay tham số) bị lỗi, nếu có.")
    thong_diep: str


class ErrorBody(Schema):
    ma: str = Field(description="Mã lỗi cố định, để chương trình đọc: "
                    + ", ".join(sorted({*CODES.values(), CONTROL_CHARACTER})))
    thong_diep: str = Field(description="Câu tiếng Việt cho người đọc.")
    chi_tiet: list[ErrorDetail] = Field(default_factory=list)


class ErrorOut(Schema):
    loi: ErrorBody


class ApiError(Exception):
    """An error our views raise; `details` lists (row index or None, field or None, message)."""

    def __init__(self, status: int, message: str, details=(), code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.details = status, message, list(details)
        self.code = code or CODES[status]


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def forbidden(message: str = MESSAGES[403]) -> ApiError:
    return ApiError(403, message)


def error_body(code: str, message: str, details=()) -> dict:
    """Return the one error shape."""
    return {"loi": {"ma": code, "thong_diep": message,
                    "chi_tiet": [{"dong": row, "truong": name, "thong_diep": text} for row, name, text in details]}}


# What pydantic's error types mean, in the words the user reads.
VALIDATION_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "int_type": "cần một số nguyên",
    "int_parsing": "cần một số nguyên",
    "int_from_float": "cần một số nguyên, không có phần lẻ",
    "greater_than_equal": "cần số ≥ {ge}",
    "less_than_equal": "cần số ≤ {le}",
    "date_type": "cần một ngày dạng YYYY-MM-DD",
    "date_parsing": "cần một ngày có thật, dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "cần một ngày có thật, dạng YYYY-MM-DD",
    "date_from_datetime_inexact": "cần một ngày, không kèm giờ",
    "string_type": "cần văn bản",
    "string_too_short": "không được để trống",
    "string_too_long": "dài quá {max_length} ký tự",
    "string_pattern_mismatch": "có ký tự điều khiển, không được nhận",
    "too_short": "cần ít nhất {min_length} phần tử",
    "too_long": "nhiều nhất {max_length} phần tử",
    "list_type": "cần một danh sách",
    "model_type": "cần một đối tượng JSON",
    "model_attributes_type": "cần một đối tượng JSON",
    "dict_type": "cần một đối tượng JSON",
    "bool_type": "cần true hoặc false",
    "bool_parsing": "cần true hoặc false",
}


def _validation_detail(error: dict) -> tuple[int | None, str | None, str]:
    """Return (row, field, message) of one of ninja's validation errors: loc is (source, [param,] path…)."""
    loc = list(error.get("loc", ()))
    path = loc[2:] if loc[:1] == ["body"] else loc[1:]
    row = next((part for part in path if isinstance(part, int)), None)
    name = path[-1] if path and isinstance(path[-1], str) else None
    try:
        message = VALIDATION_MESSAGES[error.get("type")].format(**error.get("ctx", {}))
    except KeyError:
        message = "giá trị không hợp lệ"
    return row, name, message


def install(api) -> None:
    """Answer every exception of the API's views in the one shape: the refusals of the domain's services (400, or
    403 for rows outside the caller's scope), ninja's and Django's own, a database that does not answer (503) or a
    full disk (507), and any bug (500, logged)."""

    def respond(request, status: int, message: str, details=(), code: str | None = None):
        response = api.create_response(request, error_body(code or CODES[status], message, details), status=status)
        if status == 401:
            response["WWW-Authenticate"] = "Bearer"
        if status == 503:
            response["Retry-After"] = str(RETRY_AFTER)
        return response

    @api.exception_handler(ApiError)
    def ours(request, exc: ApiError):
        return respond(request, exc.status, exc.message, exc.details, exc.code)

    @api.exception_handler(ReportError)
    def refused_report(request, exc: ReportError):
        return respond(request, 400, " ".join(message for _, _, message in exc.errors))

    @api.exception_handler(IntakeRefused)
    def refused_rows(request, exc: IntakeRefused):
        bad = len({row for row, _, _ in exc.errors})
        return respond(request, 403 if exc.forbidden else 400, f"Không dòng nào được ghi: {bad} dòng có lỗi.",
                       exc.errors)

    @api.exception_handler(ValidationError)
    def invalid(request, exc: ValidationError):
        return respond(request, 422, MESSAGES[422], [_validation_detail(e) for e in exc.errors])

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return respond(request, 401, MESSAGES[401])

    @api.exception_handler(HttpError)
    def ninjas(request, exc: HttpError):
        # ninja's own: an unreadable body (400), a refused permission (403), throttling (429).
        status = exc.status_code if exc.status_code in MESSAGES else 400
        return respond(request, status, UNREADABLE_BODY if status == 400 else MESSAGES[status])

    @api.exception_handler(Http404)
    def missing(request, exc):
        return respond(request, 404, MESSAGES[404])

    @api.exception_handler(PermissionDenied)
    def refused(request, exc):
        return respond(request, 403, MESSAGES[403])

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        return respond(request, 413, MESSAGES[413])

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_away(request, exc):
        # The database restarted, unreachable or refusing connections: the transaction was rolled back, and the
        # next request connects again (Django opens a connection per request, or checks a kept one first).
        logger.warning("Cơ sở dữ liệu không trả lời (API): %s %s: %s", request.method, request.path, exc)
        return respond(request, 503, MESSAGES[503])

    @api.exception_handler(OSError)
    def disk_full(request, exc):
        if not is_disk_full(exc):
            return bug(request, exc)
        logger.error("Hết chỗ lưu tệp (API): %s %s: %s", request.method, request.path, exc)
        return respond(request, 507, MESSAGES[507])

    @api.exception_handler(Exception)
    def bug(request, exc):
        logger.exception("Lỗi hệ thống ở API: %s %s", request.method, request.path)
        return respond(request, 500, MESSAGES[500])


def in_one_shape(api, pattern: URLPattern) -> URLPattern:
    """Return the pattern with the answers ninja gives outside its operations (a plain-text "method not allowed",
    the API root's "not found" page) in the one shape."""
    view = pattern.callback

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return api.create_response(request, error_body(CODES[404], MESSAGES[404]), status=404)
        if response.status_code != 405:
            return response
        body = error_body(CODES[405], MESSAGES[405].format(method=request.method))
        answer = api.create_response(request, body, status=405)
        answer["Allow"] = response["Allow"]
        return answer

    return URLPattern(pattern.pattern, wrapped, pattern.default_args, pattern.name)


def unknown_path(api):
    """Return a view answering any other path under the API with a 404 in the one shape."""

    @csrf_exempt  # no view here, hence no form to protect: a POST gets the same 404 as a GET
    def view(request, *args, **kwargs):
        body = error_body(CODES[404], f"API không có địa chỉ «{request.path}».")
        return api.create_response(request, body, status=404)

    return view
