"""Reading one cell: Excel cells arrive typed, CSV cells as text; both give the same values or the same message.

Every text is checked before the database sees it: no control character (C0, DEL or C1, tab and line breaks
included: a name or a code on two lines is a mistake of copy and paste, and a NUL is refused by PostgreSQL), no
more characters than its column holds, and codes of units, officers and machines in the form of `CODE`.
"""

import datetime as dt
import math
import re

from .vn import date_parts

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
CODE_RULE = "chỉ gồm chữ cái không dấu, chữ số và các dấu . _ - (bắt đầu bằng chữ hoặc số)"
# The largest count a column holds (a 32-bit integer on PostgreSQL); more digits are not even converted.
MAX_COUNT = 2_147_483_647
_MAX_COUNT_DIGITS = len(str(MAX_COUNT))
QUOTED_CHARS = 60


class CellError(ValueError):
    """A cell that cannot be read; the message is the Vietnamese text shown to the user."""


class Unreadable:
    """A cell the file holds but that could not be decoded (a number cell "NaN", a broken date…): reading it
    raises a CellError with its message, so that the row, not the whole file, is named."""

    __slots__ = ("message", "raw")

    def __init__(self, raw: str, message: str):
        self.raw, self.message = raw, message

    def __str__(self) -> str:
        return self.message


def quote(text: str) -> str:
    """Return text short enough to be shown in a message (its start and an ellipsis)."""
    return text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS] + "…"


def refuse_controls(text: str) -> None:
    """Raise a CellError if the text holds a control character; say which one, never the text itself."""
    if not text.isprintable() and (found := _CONTROL.search(text)):
        raise CellError(f"ô chứa ký tự điều khiển U+{ord(found.group()):04X} (không in được), không được phép: "
                        "hãy xóa ký tự đó")


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_text(value, max_length: int | None = None) -> str:
    """Return a cell as text; a formula-like text (=, +, -, @) stays data, never evaluated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellError(f"giá trị «{value}» không phải là văn bản")
    if isinstance(value, Unreadable):
        raise CellError(value.message)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError("ô chứa một số không hợp lệ (vô cực hoặc NaN), cần văn bản")
        if value.is_integer():
            return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        raise CellError(f"ô chứa ngày «{value:%d/%m/%Y}», cần văn bản")
    text = str(value).strip()
    refuse_controls(text)
    if max_length is not None and len(text) > max_length:
        raise CellError(f"dài {len(text)} ký tự, quá {max_length} ký tự cho phép")
    return text


def read_code(value, max_length: int) -> str:
    """Return a code (of a unit, an officer, a machine…): text of CODE's form, at most max_length characters."""
    text = read_text(value, max_length)
    if text and not CODE.fullmatch(text):
        raise CellError(f"mã «{quote(text)}» không hợp lệ: {CODE_RULE}")
    return text


def read_date(value) -> dt.date:
    """Return a date from an Excel date cell, `dd/mm/yyyy` or `yyyy-mm-dd`."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise CellError(f"«{value}» có cả giờ, cần một ngày")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, Unreadable):
        raise CellError(value.message)
    if isinstance(value, str):
        text = value.strip()
        parts = date_parts(text)
        if parts is not None:
            try:
                return dt.date(*parts)
            except ValueError:
                raise CellError(f"ngày «{text}» không có thật") from None
        refuse_controls(text)
        raise CellError(f"«{quote(text)}» không phải là ngày (dùng dd/mm/yyyy hoặc yyyy-mm-dd)")
    raise CellError(f"«{value}» không phải là ngày (dùng dd/mm/yyyy hoặc yyyy-mm-dd)")


def _is_number(text: str) -> bool:
    """Say whether a text is a number of another form (1e3, 1E999, inf, nan): then it is not a whole number."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_count(value) -> int:
    """Return a whole number from 0 to MAX_COUNT; negative, fractional, non-numeric and huge values are refused."""
    if isinstance(value, bool):
        raise CellError(f"«{value}» không phải là số")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise CellError(f"«{value}» không phải là số nguyên (vô cực hoặc NaN)")
        if not value.is_integer():
            raise CellError(f"«{value}» là số lẻ, cần số nguyên")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            if len(text.lstrip("0")) > _MAX_COUNT_DIGITS:
                raise CellError(f"«{quote(text)}» quá lớn (tối đa {MAX_COUNT})")
            number = int(text)
        elif text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
            raise CellError(f"«{quote(text)}» là số âm, cần số ≥ 0")
        elif re.fullmatch(r"-?\d*[.,]\d+", text):
            raise CellError(f"«{quote(text)}» là số lẻ hoặc có dấu phân cách, cần số nguyên không dấu phân cách")
        else:
            refuse_controls(text)
            raise CellError(f"«{quote(text)}» không phải là số nguyên" if _is_number(text)
                            else f"«{quote(text)}» không phải là số")
    elif isinstance(value, Unreadable):
        raise CellError(f"«{quote(value.raw)}» không phải là số nguyên")
    else:
        raise CellError(f"«{value}» không phải là số")
    if number < 0:
        raise CellError(f"«{number}» là số âm, cần số ≥ 0")
    if number > MAX_COUNT:
        raise CellError(f"«{quote(str(number))}» quá lớn (tối đa {MAX_COUNT})")
    return number

