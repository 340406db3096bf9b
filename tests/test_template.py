"""The workbook template: the contract's keys in row 1, Vietnamese labels, validation lists; a safe export."""

import datetime as dt

import openpyxl
import pytest
from conftest import HEADERS

from thidua.exchange.schema import SHEETS
from thidua.exchange.template import workbook_template
from thidua.territory.models import AdminUnit
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db


def test_template_has_every_sheet_with_the_contract_keys(campaign, tmp_path):
    path = workbook_template(campaign=campaign, path=tmp_path / "mau.xlsx")
    wb = openpyxl.load_workbook(path)
    for sheet in SHEETS:
        ws = wb[sheet.name]
        assert [c.value for c in ws[1]] == list(sheet.keys)
        assert sheet.columns[0].label in ws.cell(1, 1).comment.text
    assert "huong_dan" in wb.sheetnames and "danh_muc" in wb.sheetnames


def test_template_offers_lists_for_choices(campaign, tmp_path):
    wb = openpyxl.load_workbook(workbook_template(campaign=campaign, path=tmp_path / "mau.xlsx"))
    formulas = [dv.formula1 for dv in wb["don_vi"].data_validations.dataValidation]
    assert any("danh_muc" in f for f in formulas)
    counts = [dv for dv in wb["thu_nhan"].data_validations.dataValidation if dv.type == "whole"]
    assert counts and counts[0].formula2 == "2000"


def test_empty_template_imports_as_nothing_to_do(campaign, tmp_path, run_import):
    report = run_import(workbook_template(campaign=campaign, path=tmp_path / "mau.xlsx"))
    assert report.ok and report.totals().added == 0


def test_export_writes_formula_like_names_as_text_and_imports_back_unchanged(campaign, tmp_path, run_import):
    Unit.objects.filter(campaign=campaign, code="TO-VTH-1").update(name='=HYPERLINK("http://x")')
    path = workbook_template(campaign=campaign, path=tmp_path / "du-lieu.xlsx", with_data=True)
    cell = next(r for r in openpyxl.load_workbook(path)["don_vi"].iter_rows(min_row=2) if r[0].value == "TO-VTH-1")[1]
    assert cell.data_type == "s" and cell.quotePrefix
    report = run_import(path)
    assert report.ok, report.errors
    assert report.totals().added == report.totals().replaced == 0
    assert Unit.objects.get(campaign=campaign, code="TO-VTH-1").name == '=HYPERLINK("http://x")'


def list_of(wb, key: str) -> list:
    """Return the values the drop-down list of a column of thu_nhan offers."""
    column = "ABCD"[HEADERS["thu_nhan"].index(key)]
    dv = next(dv for dv in wb["thu_nhan"].data_validations.dataValidation if str(dv.sqref).startswith(column))
    sheet, cells = dv.formula1.lstrip("=").split("!")
    return [c.value for (c,) in wb[sheet][cells.replace("$", "")] if c.value is not None]


def teams(*codes) -> frozenset[int]:
    return frozenset(Unit.objects.filter(code__in=codes).values_list("id", flat=True))


def test_a_district_template_holds_only_thu_nhan_with_its_teams_machines_and_communes(campaign, tmp_path):
    wb = openpyxl.load_workbook(workbook_template(campaign=campaign, path=tmp_path / "mau.xlsx",
                                                  teams=teams("TO-VTH-1")))
    assert wb.sheetnames == ["huong_dan", "thu_nhan", "danh_muc"]
    assert list_of(wb, "ma_may") == ["M-VTH-01"]
    assert list_of(wb, "ma_xa") == ["31318", "31321"]


def test_a_team_without_an_area_of_its_own_gets_its_districts_communes(campaign, tmp_path):
    wb = openpyxl.load_workbook(workbook_template(campaign=campaign, path=tmp_path / "mau.xlsx",
                                                  teams=teams("TO-NBA-1")))
    assert list_of(wb, "ma_may") == ["M-NBA-01", "M-NBA-02"]
    district = AdminUnit.objects.get(structure=campaign.structure, code="931")
    assert list_of(wb, "ma_xa") == sorted(district.children.values_list("code", flat=True))


def test_a_district_template_says_which_team_holds_each_machine_when_and_serves_each_commune(campaign, tmp_path):
    wb = openpyxl.load_workbook(workbook_template(campaign=campaign, path=tmp_path / "mau.xlsx",
                                                  teams=teams("TO-VTH-1", "TO-NBA-1")))
    rows = [tuple(c.value for c in row) for row in wb["danh_muc"].iter_rows()]
    machines = rows[0].index("ma_may", 1)  # the tables beside the lists
    table = [row[machines:machines + 5] for row in rows if row[machines] is not None]
    assert table[0] == ("ma_may", "ma_to", "ten_to", "tu_ngay", "den_ngay")
    assert table[1] == ("M-NBA-01", "TO-NBA-1", "Tổ cấp CCCD lưu động số 1 Ngã Bảy", dt.datetime(2021, 3, 1),
                        dt.datetime(2021, 5, 31))
    communes = rows[0].index("ma_xa", machines)
    serving = {row[communes]: row[communes + 3] for row in rows[1:] if row[communes] is not None}
    assert serving["31318"] == "TO-VTH-1" and serving["31340"] == "TO-NBA-1"
    assert "Tổ cấp CCCD lưu động số 1 Ngã Bảy (TO-NBA-1)" in wb["huong_dan"]["A3"].value


def test_a_team_template_never_carries_the_campaigns_data(campaign, tmp_path):
    wb = openpyxl.load_workbook(workbook_template(campaign=campaign, path=tmp_path / "mau.xlsx", with_data=True,
                                                  teams=teams("TO-VTH-1")))
    assert wb["thu_nhan"].max_row == 1 and "don_vi" not in wb.sheetnames


def test_the_provincial_template_filled_only_in_thu_nhan_imports_its_empty_sheets_ignored(campaign, tmp_path,
                                                                                          run_import):
    path = workbook_template(campaign=campaign, path=tmp_path / "mau.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["thu_nhan"].append([dt.date(2021, 3, 10), "M-VTH-01", "31318", 12])
    wb.save(path)
    report = run_import(path)
    assert report.ok, report.errors
    assert {name: c.added for name, c in report.counts.items()} == {"thu_nhan": 1}
    assert report.empty_sheets == ["don_vi", "can_bo", "may", "dan_so"]
    assert report.ignored_sheets == ["huong_dan", "danh_muc"]
