"""The campaign workbook template: the contract's sheets with their keys, Vietnamese labels and validation lists.

Row 1 of each data sheet holds the column keys exactly (the contract); the Vietnamese labels are in the
header cells' notes and on the instructions sheet. With `with_data`, the campaign's reference data (units,
officers, assignments, eligible population) is written out too, ready to be edited and imported again.
A district's or team's template holds only the sheet they import (thu_nhan, any subset of sheets being a valid
file), its drop-down lists limited to their teams' machines and communes.
"""

import datetime as dt
from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from thidua.campaigns.models import Campaign
from thidua.intake.models import Assignment, EligiblePopulation
from thidua.lib import vn
from thidua.lib.sheets import xlsx_append, xlsx_cell
from thidua.territory.models import AdminUnit
from thidua.units.models import Membership, Officer, Unit
from thidua.units.selectors import unit_areas

from .schema import SHEETS, UNIT_KINDS, YES_NO

REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
OPTIONAL_FILL = PatternFill("solid", fgColor="EDEDED")
LISTS_SHEET = "danh_muc"
GUIDE_SHEET = "huong_dan"
LAST_ROW = 100_000


def _column_ranges(sheet_name: str) -> dict[str, str]:
    spec = next(s for s in SHEETS if s.name == sheet_name)
    return {key: f"{get_column_letter(i)}2:{get_column_letter(i)}{LAST_ROW}" for i, key in enumerate(spec.keys, 1)}


def _list_validation(formula: str, title: str) -> DataValidation:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True)
    dv.errorTitle, dv.error = "Giá trị không hợp lệ", f"Chọn {title} trong danh sách."
    return dv


def _lists(wb: Workbook, lists: dict[str, list], tables: list[tuple[tuple[str, ...], list[tuple]]]) -> dict[str, str]:
    """Write the drop-down lists, then the reference tables beside them, on their own sheet; return a formula for
    each list."""
    ws = wb.create_sheet(LISTS_SHEET)
    formulas = {}
    for i, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(i)
        xlsx_cell(ws.cell(1, i), name)
        ws.cell(1, i).font = Font(bold=True)
        for r, value in enumerate(values, start=2):
            xlsx_cell(ws.cell(r, i), value)
        formulas[name] = f"{LISTS_SHEET}!${letter}$2:${letter}${max(len(values), 1) + 1}"
    start = len(lists) + 2
    for titles, rows in tables:
        for j, title in enumerate(titles, start=start):
            xlsx_cell(ws.cell(1, j), title)
            ws.cell(1, j).font = Font(bold=True)
        for r, values in enumerate(rows, start=2):
            for j, value in enumerate(values, start=start):
                xlsx_cell(ws.cell(r, j), value)
                if isinstance(value, dt.date):
                    ws.cell(r, j).number_format = "DD/MM/YYYY"
        start += len(titles) + 1
    return formulas


def _commune_table(communes) -> tuple[tuple[str, ...], list[tuple]]:
    return ("ma_xa", "ten_xa", "huyen"), [(c.code, c.name, c.parent.name if c.parent_id else "") for c in communes]


def _campaign_lists(wb: Workbook, campaign: Campaign) -> dict[str, str]:
    """Write the lists of the whole campaign's template: every choice, every commune of the province."""
    communes = list(AdminUnit.objects.communes_of(campaign.structure, campaign.province_code)
                    .select_related("parent").order_by("code"))
    lists = {
        "loai": list(UNIT_KINDS),
        "co_khong": list(YES_NO),
        "nhom_thi_dua": [g.code for g in campaign.config.groups],
        "ma_xa": [c.code for c in communes],
    }
    return _lists(wb, lists, [_commune_table(communes)])


def _teams_lists(wb: Workbook, campaign: Campaign, teams: frozenset[int]) -> dict[str, str]:
    """Write the lists of a district's or team's template: the machines its teams hold (with when and which team),
    the communes they serve."""
    assignments = list(Assignment.objects.filter(team_id__in=teams).select_related("machine", "team")
                       .order_by("machine__code", "start"))
    areas = unit_areas(campaign)
    codes = dict(Unit.objects.filter(id__in=teams).values_list("id", "code"))
    serving = defaultdict(list)  # a commune → the teams serving it (a district's teams may share communes)
    for team in sorted(teams, key=codes.get):
        for commune_id in areas.get(team, ()):
            serving[commune_id].append(codes[team])
    communes = list(AdminUnit.objects.filter(id__in=serving).select_related("parent").order_by("code"))
    lists = {"ma_may": list(dict.fromkeys(a.machine.code for a in assignments)), "ma_xa": [c.code for c in communes]}
    machines = [(a.machine.code, a.team.code, a.team.name, a.start, a.end) for a in assignments]
    titles, rows = _commune_table(communes)
    rows = [(*row, "; ".join(serving[c.id])) for row, c in zip(rows, communes, strict=True)]
    return _lists(wb, lists, [(("ma_may", "ma_to", "ten_to", "tu_ngay", "den_ngay"), machines),
                              ((*titles, "ma_to"), rows)])


def _guide(wb: Workbook, campaign: Campaign, sheets, teams: list[Unit] | None) -> None:
    ws = wb.active
    ws.title = GUIDE_SHEET
    c = campaign.config
    lines = [
        (f"Mẫu nhập số liệu — {campaign.name}", True),
        (f"Mã đợt thi đua: {campaign.code}; thời gian {c.start:%d/%m/%Y} – {c.deadline:%d/%m/%Y}.", False),
    ]
    if teams is not None:
        names = "; ".join(f"{t.name} ({t.code})" for t in teams) or "(chưa có tổ nào)"
        lines += [
            (f"Mẫu của đơn vị bạn: chỉ nhập trang thu_nhan, số hồ sơ thu nhận theo ngày, máy, xã của các tổ: {names}.",
             False),
            ("Mã máy và mã xã chọn trong danh sách của ô. Trang danh_muc ghi máy nào thuộc tổ nào, từ ngày nào đến "
             "ngày nào, và xã nào thuộc địa bàn của tổ nào: một máy chỉ nhập cho những ngày được phân công cho tổ, "
             "ở các xã của tổ đó.", False),
        ]
    lines += [
        ("Dòng 1 của mỗi trang là mã cột, giữ nguyên. Ô cam: bắt buộc; ô xám: không bắt buộc.", False),
        ("Trang không dùng thì để trống (chỉ có dòng 1) hoặc xóa đi: trang trống được bỏ qua.", False),
        ("Ngày ghi dạng dd/mm/yyyy hoặc ô ngày của Excel. Mã phân biệt chữ hoa, chữ thường.", False),
        (f"Số hồ sơ là số nguyên từ 0 đến {vn.number(c.max_per_machine_day)} cho một máy trong một ngày.", False),
        ("Tệp có bất kỳ dòng sai nào thì không nhập gì; báo cáo lỗi nêu đủ trang, dòng, cột.", False),
        ("Sửa số liệu đã nhập: tải tệp lên trang Nhập tệp, đánh dấu «Sửa số liệu đã có» và ghi lý do; lịch sử giữ "
         "giá trị cũ.", False),
        ("", False),
    ]
    for text, bold in lines:
        row = xlsx_append(ws, [text])
        if bold:
            ws.cell(row, 1).font = Font(bold=True, size=13)
    xlsx_append(ws, ["Trang", "Mã cột", "Tên cột", "Bắt buộc", "Ghi chú"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for sheet in sheets:
        for col in sheet.columns:
            xlsx_append(ws, [f"{sheet.name} ({sheet.label})", col.key, col.label, "có" if col.required else "",
                             col.hint or (", ".join(col.choices) if col.choices else "")])
    for letter, width in zip("ABCDE", (28, 24, 34, 10, 60), strict=True):
        ws.column_dimensions[letter].width = width


def _header(ws, sheet) -> None:
    for i, col in enumerate(sheet.columns, start=1):
        cell = ws.cell(1, i)
        xlsx_cell(cell, col.key)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if col.required else OPTIONAL_FILL
        cell.alignment = Alignment(horizontal="center")
        note = col.label + (" (bắt buộc)" if col.required else "") + (f"\n{col.hint}" if col.hint else "")
        cell.comment = Comment(note, "thidua")
        ws.column_dimensions[get_column_letter(i)].width = max(14, len(col.key) + 4)
    ws.freeze_panes = "A2"


def _validations(ws, sheet_name: str, formulas: dict[str, str], campaign: Campaign) -> None:
    ranges = _column_ranges(sheet_name)
    c = campaign.config
    rules: list[tuple[DataValidation, str]] = []
    lists = {"loai": ("loai", "loại đơn vị"), "truc_tiep_cap_cccd": ("co_khong", "co hoặc khong"),
             "nhom_thi_dua": ("nhom_thi_dua", "nhóm thi đua"), "ma_xa": ("ma_xa", "mã xã"),
             "ma_may": ("ma_may", "mã máy")}
    for key, (name, title) in lists.items():
        if key in ranges and name in formulas:
            rules.append((_list_validation(f"={formulas[name]}", title), ranges[key]))
    for key in ("ngay", "tu_ngay", "den_ngay"):
        if key in ranges:
            dv = DataValidation(type="date", operator="between", formula1=_excel_date(c.start),
                                formula2=_excel_date(c.deadline), allow_blank=True, showErrorMessage=True)
            dv.errorTitle = "Ngày không hợp lệ"
            dv.error = f"Ngày phải trong thời gian thi đua {c.start:%d/%m/%Y} – {c.deadline:%d/%m/%Y}."
            rules.append((dv, ranges[key]))
    for key in ("so_ho_so", "chi_tieu", "chi_tieu_ngay", "so_nguoi_trong_do_tuoi"):
        if key in ranges:
            top = c.max_per_machine_day if key == "so_ho_so" else 100_000_000
            dv = DataValidation(type="whole", operator="between", formula1="0", formula2=str(top), allow_blank=True,
                                showErrorMessage=True)
            dv.errorTitle, dv.error = "Số không hợp lệ", f"Nhập số nguyên từ 0 đến {top}."
            rules.append((dv, ranges[key]))
    for dv, cells in rules:
        dv.add(cells)
        ws.add_data_validation(dv)


def _excel_date(day) -> str:
    return f"DATE({day.year},{day.month},{day.day})"


def _data_rows(campaign: Campaign) -> dict[str, list[list]]:
    units = list(Unit.objects.filter(campaign=campaign).select_related("parent", "group").prefetch_related("areas")
                 .order_by("code"))
    current = {m.officer_id: m for m in Membership.objects.filter(officer__campaign=campaign, end__isnull=True)
               .select_related("unit")}
    yes_no = {True: "co", False: "khong", None: ""}
    return {
        "don_vi": [[u.code, u.name, u.kind, u.parent.code if u.parent_id else "",
                    ";".join(sorted(a.code for a in u.areas.all())), u.group.code if u.group_id else ""]
                   for u in units],
        "can_bo": [[o.code, o.full_name, current[o.id].unit.code if o.id in current else "", o.rank, o.position,
                    yes_no[o.issues_cards], current[o.id].start if o.id in current else None]
                   for o in Officer.objects.filter(campaign=campaign).order_by("code")],
        "may": [[a.machine.code, a.team.code, a.start, a.end, a.quota, a.daily_target]
                for a in Assignment.objects.filter(machine__campaign=campaign).select_related("machine", "team")
                .order_by("machine__code", "start")],
        "dan_so": [[p.commune.code, p.people] for p in EligiblePopulation.objects.filter(campaign=campaign)
                   .select_related("commune").order_by("commune__code")],
    }


def workbook_template(*, campaign: Campaign, path: str | Path, with_data: bool = False,
                      teams: frozenset[int] | None = None) -> Path:
    """Write the campaign's workbook template (optionally with its reference data) and return its path.

    With `teams` (a district's or a team's), only what they import: the thu_nhan sheet, its lists holding their
    teams' machines and communes; never the campaign's data.
    """
    wb = Workbook()
    team_units = None
    if teams is not None:
        team_units = list(Unit.objects.filter(id__in=teams).order_by("code"))
        with_data = False
    specs = [s for s in SHEETS if teams is None or s.name == "thu_nhan"]
    _guide(wb, campaign, specs, team_units)
    data = _data_rows(campaign) if with_data else {}
    sheets = []
    for sheet in specs:
        ws = wb.create_sheet(sheet.name)
        _header(ws, sheet)
        for values in data.get(sheet.name, []):
            row = xlsx_append(ws, values)
            for i, value in enumerate(values, start=1):
                if hasattr(value, "year"):
                    ws.cell(row, i).number_format = "DD/MM/YYYY"
        sheets.append((ws, sheet.name))
    formulas = _campaign_lists(wb, campaign) if teams is None else _teams_lists(wb, campaign, teams)
    for ws, name in sheets:
        _validations(ws, name, formulas, campaign)
    path = Path(path)
    wb.save(path)
    return path
