"""The data of the progress dashboards' charts as workbooks: every day of every series drawn, ready to print. Every
cell goes through `lib.sheets` (a unit's name is text, never a formula)."""

import datetime as dt
from fractions import Fraction

from openpyxl import Workbook

from thidua.lib import vn
from thidua.lib.sheets import DATE, INTEGER, PERCENT2, SIGNED, SYNTHETIC_NOTE, xlsx_table, xlsx_titles

from .progress import Curve, MachineSeries, straight_line

PROGRESS_HEADERS = ("Mã đơn vị", "Đơn vị", "Ngày", "Hồ sơ trong ngày", "Lũy kế", "Chỉ tiêu",
                    "Tiến độ đều đến hạn", "Chênh lệch so với tiến độ đều", "Tỷ lệ chỉ tiêu")
PROGRESS_WIDTHS = (14, 40, 12, 12, 12, 12, 14, 16, 12)
MACHINE_HEADERS = ("Máy", "Ngày", "Hồ sơ trong ngày", "Chỉ tiêu ngày", "Chênh lệch", "Xã, phường, thị trấn")
MACHINE_WIDTHS = (14, 12, 12, 12, 12, 50)
PACE_NOTE = ("Tiến độ đều đến hạn: đường thẳng từ 0 vào ngày bắt đầu đến chỉ tiêu vào ngày hết hạn, làm tròn "
             "đến hồ sơ. Chỉ tiêu ngày của máy: chỉ tiêu ngày được giao, hoặc chỉ tiêu cả đợt chia đều cho các "
             "ngày làm việc của thời gian được giao; làm tròn đến hồ sơ.")


def _titles(campaign, heading: str, scope_name: str, as_of: dt.date) -> list[str]:
    lines = [campaign.name, heading, f"{scope_name} · tính đến ngày {vn.date(as_of)}"]
    if campaign.synthetic:
        lines.append(SYNTHETIC_NOTE)
    return lines


def _whole(value: Fraction) -> int:
    return int(vn.rounded(value, 0))


def progress_xlsx(out, *, campaign, scope_name: str, as_of: dt.date, curves: list[Curve]) -> None:
    """Write the cumulative charts' data: a row per unit and calendar day from the start to `as_of`."""
    wb = Workbook()
    ws = wb.active
    ws.title = "tien_do"
    start, deadline = campaign.config.start, campaign.config.deadline
    top = xlsx_titles(ws, [*_titles(campaign, "TIẾN ĐỘ THU NHẬN LŨY KẾ", scope_name, as_of), PACE_NOTE],
                      len(PROGRESS_HEADERS), bold=2, large=2)
    rows = []
    for c in curves:
        for d in c.days:
            pace = _whole(straight_line(c.quota, d.day, start, deadline))
            rows.append([c.code, c.name, d.day, d.applications, d.cumulative, c.quota, pace, d.cumulative - pace,
                         float(Fraction(d.cumulative, c.quota)) if c.quota else None])
    xlsx_table(ws, top, PROGRESS_HEADERS, rows, PROGRESS_WIDTHS,
               formats={3: DATE, 4: INTEGER, 5: INTEGER, 6: INTEGER, 7: INTEGER, 8: SIGNED, 9: PERCENT2})
    wb.save(out)


def machines_xlsx(out, *, campaign, scope_name: str, as_of: dt.date, series: list[MachineSeries]
                  ) -> None:
    """Write the daily charts' data: a row per machine and day, its applications, target, difference and the
    communes it worked in."""
    wb = Workbook()
    ws = wb.active
    ws.title = "may_theo_ngay"
    top = xlsx_titles(ws, [*_titles(campaign, "HỒ SƠ THEO NGÀY CỦA TỪNG MÁY", scope_name, as_of), PACE_NOTE],
                      len(MACHINE_HEADERS), bold=2, large=2)
    rows = []
    for s in series:
        for d in s.days:
            target = _whole(d.target)
            rows.append([s.machine, d.day, d.applications, target, d.applications - target,
                         "; ".join(f"{name} ({code}): {vn.number(n)}" for code, name, n in d.communes)])
    xlsx_table(ws, top, MACHINE_HEADERS, rows, MACHINE_WIDTHS,
               formats={2: DATE, 3: INTEGER, 4: INTEGER, 5: SIGNED}, orientation="portrait")
    wb.save(out)
