"""The full list of an import's errors as a CSV file: the page's download and `thidua import --errors FILE`."""

from thidua.lib.sheets import csv_bytes

COLUMNS = ("trang", "dong", "cot", "loi")


def errors_csv(errors) -> bytes:
    """Return the errors (sheet, row, column, message) as CSV; a message quoting a cell is never a formula."""
    return csv_bytes(COLUMNS, ((e.sheet, e.row or "", e.column or "", e.message) for e in errors))
