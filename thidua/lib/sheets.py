"""Every cell the product writes to a CSV file or a workbook goes through here, so that no text is ever run as a
formula by the spreadsheet that opens it (OWASP's "CSV injection").

A text beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is what a spreadsheet takes for a formula:
in a CSV file it is prefixed with an apostrophe (the spreadsheet then shows it as text, apostrophe included), and so
is a text whose leading apostrophes come before such a character, so that reading the file back is exact; in a
workbook it is written as a text cell, never a formula, and marked to stay text when edited (its value unchanged,
so that a workbook exported and imported again gives back the same data). Numbers, dates and empty cells are
written as they are: a number stays a number.
"""

import csv
import io
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters a workbook cannot hold (openpyxl refuses them); shown as the replacement character instead.
_NOT_IN_WORKBOOK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def formula_like(value) -> bool:
    """Return whether a spreadsheet would take this value for a formula (a text with a formula's first character)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _escaped_in_csv(value) -> bool:
    # A text whose leading apostrophes come before a formula's first character: escaping also the one that
    # begins with an apostrophe ('=1+1) keeps `csv_unescape` from taking its own apostrophe for the escape.
    return isinstance(value, str) and formula_like(value.lstrip("'"))


def csv_cell(value):
    """Return a value as it is written to a CSV file: a formula-like text, or one whose leading apostrophes come
    before a formula's first character, prefixed with an apostrophe."""
    return "'" + value if _escaped_in_csv(value) else value


def csv_unescape(text: str) -> str:
    """Return a CSV cell's text as it was before `csv_cell` (the exact inverse), so that an exported file can be
    imported again."""
    return text[1:] if text.startswith("'") and _escaped_in_csv(text[1:]) else text


def csv_bytes(header, rows) -> bytes:
    """Return a CSV file (UTF-8 with a BOM, so that Excel reads the Vietnamese right; CRLF) of a header and rows,
    every cell through `csv_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(v) for v in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_cell(cell, value) -> None:
    """Write a value into an openpyxl cell: a text is always a text cell (openpyxl would make one beginning with `=`
    a formula), a formula-like one also shown as text when edited; numbers and dates as they are."""
    if isinstance(value, str):
        cell.value = _NOT_IN_WORKBOOK.sub("\ufffd", value)
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    else:
        cell.value = value


def xlsx_append(ws, values) -> int:
    """Write values into the next row of a worksheet, each through `xlsx_cell`; return the row's number."""
    ws.append([None] * len(values))
    row = ws.max_row
    for column, value in enumerate(values, start=1):
        xlsx_cell(ws.cell(row, column), value)
    return row
