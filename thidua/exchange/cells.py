"""Reading one cell: Excel cells arrive typed, CSV cells as text; both give the same values or the same message."""

import datetime as dt
import re

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
MAX_DIGITS = 18  # more than any count; a whole number of more digits is refused before it is read


class CellError(ValueError):
    """A cell that cannot be read; the message is the Vietnamese text shown to the user."""


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_text(value) -> str:
    """Return a cell as text; a formula-like text (=, +, -, @) stays data, never evaluated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellError(f"giá trị «{value}» không phải là văn bản")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        raise CellError(f"ô chứa ngày «{value:%d/%m/%Y}», cần văn bản")
    return str(value).strip()


def read_date(value) -> dt.date:
    """Return a date from an Excel date cell, `dd/mm/yyyy` or `yyyy-mm-dd`."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise CellError(f"«{value}» có cả giờ, cần một ngày")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        m = _DMY.match(text)
        parts = (m.group(3), m.group(2), m.group(1)) if m else None
        if parts is None and (m := _YMD.match(text)):
            parts = m.groups()
        if parts is not None:
            try:
                return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                raise CellError(f"ngày «{text}» không có thật") from None
    shown = value if not isinstance(value, str) else value.strip()
    raise CellError(f"«{shown}» không phải là ngày (dùng dd/mm/yyyy hoặc yyyy-mm-dd)")


def read_count(value) -> int:
    """Return a whole number ≥ 0; negative, fractional and non-numeric values are refused."""
    if isinstance(value, bool):
        raise CellError(f"«{value}» không phải là số")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"«{value}» là số lẻ, cần số nguyên")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            if len(text) > MAX_DIGITS:  # Python refuses to read a number of thousands of digits
                raise CellError(f"«{text[:MAX_DIGITS]}…» có {len(text)} chữ số: quá lớn")
            return int(text)
        if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
            raise CellError(f"«{text}» là số âm, cần số ≥ 0")
        if re.fullmatch(r"-?\d*[.,]\d+", text):
            raise CellError(f"«{text}» là số lẻ hoặc có dấu phân cách, cần số nguyên không dấu phân cách")
        raise CellError(f"«{text}» không phải là số")
    else:
        raise CellError(f"«{value}» không phải là số")
    if number < 0:
        raise CellError(f"«{number}» là số âm, cần số ≥ 0")
    return number

