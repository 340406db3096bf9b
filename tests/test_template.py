"""The workbook template: the contract's keys in row 1, Vietnamese labels, validation lists; a safe export."""

import openpyxl
import pytest

from thidua.exchange.schema import SHEETS
from thidua.exchange.template import workbook_template
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
