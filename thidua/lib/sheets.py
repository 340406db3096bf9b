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
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import ARC_CORE as CORE_PROPERTIES
from openpyxl.xml.functions import tostring

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SYNTHETIC_NOTE = "DỮ LIỆU MÔ PHỎNG — không phải số liệu thật"
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


# Number formats that read the Vietnamese way (1.234.567; 12,50; 116,35%) whatever the reader's own settings:
# the locale tag 42A (Vietnamese) sets the separators in LibreOffice; Excel uses those of the computer's region.
INTEGER = "[$-42A]#,##0"
SIGNED = "[$-42A]#,##0;-#,##0"
DECIMAL2 = "[$-42A]0.00"
PERCENT2 = "[$-42A]0.00%"
DATE = "DD/MM/YYYY"
LINE_POINTS = 15  # the height of a line of 11-point text
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDE3EA")


def xlsx_titles(ws, lines, width: int, *, bold: int, large: int) -> int:
    """Write title lines above a table, each merged across `width` columns and centred: the first `bold` lines
    bold, line `large` larger, the synthetic-data note in red; return the row the table starts on (a blank row
    between)."""
    for i, text in enumerate(lines, start=1):
        xlsx_cell(ws.cell(i, 1), text)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
        ws.cell(i, 1).font = Font(bold=i <= bold, size=13 if i == large else 11,
                                  color="A40000" if text == SYNTHETIC_NOTE else None)
        ws.cell(i, 1).alignment = Alignment(horizontal="center", wrap_text=True)
    return len(lines) + 2


def _lines(value, width: float) -> int:
    """Return how many lines a value takes in a wrapped cell `width` characters wide (an estimate: a spreadsheet
    does not always fit the rows' height to their text when it opens a file)."""
    if not isinstance(value, str):
        return 1
    per_line = max(1, int(width) - 1)
    return sum(max(1, -(-len(part) // per_line)) for part in value.split("\n"))


def xlsx_table(ws, top: int, headers, rows, widths, *, formats: dict[int, str] | None = None,
               orientation: str = "landscape") -> int:
    """Write a ready-to-print table from row `top`: a bold shaded header row (frozen, repeated on every printed
    page), then the rows, every cell through `xlsx_cell`, bordered and wrapped; `formats` gives a column's number
    format (1-based). Print on A4 in `orientation`, fitted to the page's width. Return the table's last row."""
    ws.row_dimensions[top].height = 32
    for j, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = ws.cell(top, j)
        xlsx_cell(cell, header)
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = width
    row = top
    for row, values in enumerate(rows, start=top + 1):
        for j, value in enumerate(values, start=1):
            cell = ws.cell(row, j)
            xlsx_cell(cell, value)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if formats and j in formats:
                cell.number_format = formats[j]
        lines = max((_lines(v, w) for v, w in zip(values, widths, strict=False)), default=1)
        if lines > 1:
            ws.row_dimensions[row].height = lines * LINE_POINTS
    ws.freeze_panes = ws.cell(top + 1, 1)
    ws.print_title_rows = f"{top}:{top}"
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return row


def xlsx_save(wb, out, moment: dt.datetime) -> None:
    """Save a workbook (to a path or a file) whose bytes depend on its content only: the document's created and
    modified dates and the date of every entry of the zip are `moment`, not the time of saving."""
    written = io.BytesIO()
    wb.save(written)
    # openpyxl stamps the properties "modified" with the time of saving: they are written again, with `moment`.
    wb.properties.created = wb.properties.modified = moment
    properties = tostring(wb.properties.to_tree())
    fixed = io.BytesIO()
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=moment.timetuple()[:6])
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, entry.external_attr
            target.writestr(info, properties if entry.filename == CORE_PROPERTIES else source.read(entry.filename))
    if isinstance(out, str | Path):
        Path(out).write_bytes(fixed.getvalue())
    else:
        out.write(fixed.getvalue())
