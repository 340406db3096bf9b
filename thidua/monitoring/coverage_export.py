"""The data of the coverage pages' charts written out as workbooks (the same tables as the pages). Every cell goes
through `lib.sheets`, so that a commune's or a team's name is never run as a formula."""

import datetime as dt

from openpyxl import Workbook

from thidua.lib import vn
from thidua.lib.sheets import INTEGER, PERCENT2, SYNTHETIC_NOTE, xlsx_save, xlsx_table, xlsx_titles

from .coverage import CommuneCoverage, MachineUse

COVERAGE_HEADERS = ("STT", "Mã xã", "Xã, phường, thị trấn", "Huyện", "Số người trong độ tuổi", "Hồ sơ đã thu nhận",
                    "Độ phủ", "Vĩ độ", "Kinh độ")
COVERAGE_WIDTHS = (6, 10, 30, 28, 14, 14, 10, 11, 11)
USE_HEADERS = ("STT", "Máy", "Mã tổ", "Tổ", "Ngày được giao", "Ngày có thu nhận", "Tỷ lệ ngày làm việc")
USE_WIDTHS = (6, 14, 14, 40, 12, 12, 12)
DEGREES = "0.000000"


def _sheet(campaign, title: str, as_of: dt.date, scope_name: str, width: int):
    """Open a workbook whose sheet carries the campaign's name, the title with its date and the scope above its
    table; return it, its sheet and the row its table starts on."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{title} {as_of:%d-%m-%Y}"
    lines = [campaign.name, f"{title.upper()} ĐẾN NGÀY {vn.date(as_of)}", scope_name]
    if campaign.synthetic:
        lines.append(SYNTHETIC_NOTE)
    return wb, ws, xlsx_titles(ws, lines, width, bold=2, large=2)


def coverage_xlsx(out, *, campaign, scope_name: str, as_of: dt.date, rows: list[CommuneCoverage],
                  moment: dt.datetime) -> None:
    """Write the communes' coverage as of a date (to a path or a file): a line per commune, worst first, with the
    coordinates the map places it at; the coverage a number (a share), empty without residents."""
    wb, ws, top = _sheet(campaign, "Độ phủ theo xã", as_of, scope_name, len(COVERAGE_HEADERS))
    lines = [[n, r.code, r.name, r.district, r.eligible, r.intake,
              float(r.coverage) if r.coverage is not None else None,
              r.place[0] if r.place else None, r.place[1] if r.place else None]
             for n, r in enumerate(rows, start=1)]
    xlsx_table(ws, top, COVERAGE_HEADERS, lines, COVERAGE_WIDTHS,
               formats={5: INTEGER, 6: INTEGER, 7: PERCENT2, 8: DEGREES, 9: DEGREES})
    xlsx_save(wb, out, moment)


def machine_use_xlsx(out, *, campaign, scope_name: str, as_of: dt.date, rows: list[MachineUse],
                     moment: dt.datetime) -> None:
    """Write each machine's days held and worked up to a date (to a path or a file), the least used first."""
    wb, ws, top = _sheet(campaign, "Sử dụng máy", as_of, scope_name, len(USE_HEADERS))
    lines = [[n, r.machine, r.team_code, r.team_name, r.held, r.worked,
              float(r.share) if r.share is not None else None] for n, r in enumerate(rows, start=1)]
    xlsx_table(ws, top, USE_HEADERS, lines, USE_WIDTHS, formats={5: INTEGER, 6: INTEGER, 7: PERCENT2},
               orientation="portrait")
    xlsx_save(wb, out, moment)
