"""A district's day written out as a workbook, ready to print and send up the line (the same table as the
printable page `/dot/<code>/bao-cao/tong-hop/`). Every cell goes through `lib.sheets`."""

import datetime as dt

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from thidua.lib import vn
from thidua.lib.sheets import xlsx_cell

from .models import ReportStatus
from .selectors import DayTotals, TeamDayRow

SYNTHETIC_NOTE = "DỮ LIỆU MÔ PHỎNG — không phải số liệu thật"
TARGET_NOTE = ("Chỉ tiêu ngày của tổ: cộng, trên các máy tổ giữ trong ngày, chỉ tiêu ngày của máy; máy được giao "
               "chỉ tiêu cả đợt thì lấy chỉ tiêu đó chia đều cho các ngày làm việc của thời gian được giao; ngày nghỉ "
               "không có chỉ tiêu; làm tròn đến hồ sơ. Chênh lệch = hồ sơ trong ngày − chỉ tiêu ngày. Trễ hạn tính "
               "theo lần gửi đầu tiên.")
HEADERS = ("STT", "Tổ", "Số máy", "Hồ sơ trong ngày", "Chỉ tiêu ngày", "Chênh lệch", "Trạng thái báo cáo",
           "Trễ hạn")
WIDTHS = (6, 44, 9, 13, 13, 12, 24, 9)
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDE3EA")


def state_text(row: TeamDayRow) -> str:
    """Return a report's state as the summary writes it."""
    if row.reopened:
        return "Đã mở lại, chờ gửi lại"
    return {ReportStatus.DRAFT: "Chưa gửi", ReportStatus.SUBMITTED: "Đã gửi, chờ xác nhận",
            ReportStatus.VERIFIED: "Đã xác nhận"}[row.status]


def summary_xlsx(out, *, campaign, parent, day: dt.date, rows: list[TeamDayRow], totals: DayTotals,
                 printed_at: dt.datetime) -> None:
    """Write a unit's day (to a path or a file): the campaign's and unit's names and the date above, a line per
    team, the totals, and how the target is reckoned."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{day:%d-%m-%Y}"
    titles = [campaign.name, f"TỔNG HỢP BÁO CÁO NGÀY {vn.date(day)}", parent.name]
    if campaign.synthetic:
        titles.append(SYNTHETIC_NOTE)
    for i, text in enumerate(titles, start=1):
        xlsx_cell(ws.cell(i, 1), text)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=len(HEADERS))
        ws.cell(i, 1).font = Font(bold=i <= 3, size=13 if i == 2 else 11,
                                  color="A40000" if text == SYNTHETIC_NOTE else None)
        ws.cell(i, 1).alignment = Alignment(horizontal="center", wrap_text=True)
    top = len(titles) + 2
    for j, (header, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = ws.cell(top, j)
        xlsx_cell(cell, header)
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = width
    lines = [[n, r.team.name, r.machines, r.applications, r.target, r.difference, state_text(r),
              "có" if r.late else ""] for n, r in enumerate(rows, start=1)]
    lines.append(["", f"Cộng ({totals.teams} tổ)", totals.machines, totals.applications, totals.target,
                  totals.difference, f"Chưa gửi {totals.not_sent} · chờ xác nhận {totals.waiting} · "
                                     f"đã xác nhận {totals.verified}", totals.late or ""])
    for i, values in enumerate(lines, start=top + 1):
        for j, value in enumerate(values, start=1):
            cell = ws.cell(i, j)
            xlsx_cell(cell, value)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if j in (3, 4, 5, 6):
                cell.number_format = "#,##0;-#,##0"
            if i == top + len(lines):
                cell.font = Font(bold=True)
    note = top + len(lines) + 2
    for i, text in enumerate((TARGET_NOTE, f"Lập lúc {printed_at:%H:%M} ngày {vn.date(printed_at.date())}."),
                             start=note):
        xlsx_cell(ws.cell(i, 1), text)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=len(HEADERS))
        ws.cell(i, 1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[note].height = 48
    ws.print_title_rows = f"{top}:{top}"
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(out)
