"""A district's day written out as a workbook, ready to print and send up the line (the same table as the
printable page `/dot/<code>/bao-cao/tong-hop/`). Every cell goes through `lib.sheets`."""

import datetime as dt

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from thidua.lib import vn
from thidua.lib.sheets import SIGNED, SYNTHETIC_NOTE, xlsx_cell, xlsx_table, xlsx_titles

from .models import ReportStatus
from .selectors import DayTotals, TeamDayRow

TARGET_NOTE = ("Chỉ tiêu ngày của tổ: cộng, trên các máy tổ giữ trong ngày, chỉ tiêu ngày của máy; máy được giao "
               "chỉ tiêu cả đợt thì lấy chỉ tiêu đó chia đều cho các ngày làm việc của thời gian được giao; ngày nghỉ "
               "không có chỉ tiêu; làm tròn đến hồ sơ. Chênh lệch = hồ sơ trong ngày − chỉ tiêu ngày. Trễ hạn tính "
               "theo lần gửi đầu tiên.")
HEADERS = ("STT", "Tổ", "Số máy", "Hồ sơ trong ngày", "Chỉ tiêu ngày", "Chênh lệch", "Trạng thái báo cáo",
           "Trễ hạn")
WIDTHS = (6, 44, 9, 13, 13, 12, 24, 9)


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
    top = xlsx_titles(ws, titles, len(HEADERS), bold=3, large=2)
    lines = [[n, r.team.name, r.machines, r.applications, r.target, r.difference, state_text(r),
              "có" if r.late else ""] for n, r in enumerate(rows, start=1)]
    lines.append(["", f"Cộng ({totals.teams} tổ)", totals.machines, totals.applications, totals.target,
                  totals.difference, f"Chưa gửi {totals.not_sent} · chờ xác nhận {totals.waiting} · "
                                     f"đã xác nhận {totals.verified}", totals.late or ""])
    last = xlsx_table(ws, top, HEADERS, lines, WIDTHS, formats={3: SIGNED, 4: SIGNED, 5: SIGNED, 6: SIGNED},
                      orientation="portrait")
    for cell in ws[last]:
        cell.font = Font(bold=True)
    note = top + len(lines) + 2
    for i, text in enumerate((TARGET_NOTE, f"Lập lúc {printed_at:%H:%M} ngày {vn.date(printed_at.date())}."),
                             start=note):
        xlsx_cell(ws.cell(i, 1), text)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=len(HEADERS))
        ws.cell(i, 1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[note].height = 48
    wb.save(out)
