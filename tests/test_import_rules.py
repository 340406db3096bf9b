"""The import rules of docs/data-formats.md: each bad input is refused, named, and changes nothing.

Each rule is checked with a workbook (.xlsx: typed cells) and with a CSV folder (text cells). The codes of the
base dataset (units, machines, communes) are described in conftest.py.
"""

import datetime as dt

import pytest
from conftest import HEADERS as H

from thidua.exchange import importer
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db

# A good row of each sheet, put before the bad one so that row numbers are checked past the first data row.
GOOD = {
    "don_vi": ["TO-VTH-2", "Tổ cấp CCCD lưu động số 2 Vị Thanh", "to", "CAH-VTH", "31324", None],
    "can_bo": ["CB-010", "Phạm Thị Dung", "TO-VTH-1", "Thiếu úy", "Tổ viên", "co"],
    "may": ["M-VTH-02", "TO-VTH-1", dt.date(2021, 3, 1), dt.date(2021, 4, 30), None, 80],
    "dan_so": ["31324", 3900],
    "thu_nhan": [dt.date(2021, 3, 4), "M-VTH-01", "31318", 70],
}
MAR_5 = dt.date(2021, 3, 5)


def sheet_with(name: str, *bad_rows) -> dict[str, list[list]]:
    """Return one sheet: its header, a good row (row 2), then the given rows (row 3 onwards)."""
    return {name: [H[name], GOOD[name], *bad_rows]}


def assert_error_at(report, sheet: str, row: int | None, column: str | None, fragment: str):
    """Check that the report names the sheet, row and column, in Vietnamese; return the error."""
    shown = [str(e) for e in report.errors]
    found = [e for e in report.errors if (e.sheet, e.row, e.column) == (sheet, row, column)]
    assert found, f"no error at {sheet}, row {row}, column {column}; got {shown}"
    error = next((e for e in found if fragment in e.message), None)
    assert error is not None, f"no error at {sheet}/{row}/{column} saying «{fragment}»; got {shown}"
    if row is not None:
        assert f"dòng {row}" in str(error)
    if column is not None:
        assert f"cột {column}" in str(error)
    assert str(error).startswith(sheet)
    return error


@pytest.fixture
def reject(fmt, write_source, run_import, snapshot):
    """Return a function importing sheets that expects a refusal naming one place, and nothing changed."""

    def check(sheets, sheet: str, row: int, column: str, fragment: str, *, flagged=None, **options):
        before = snapshot()
        report = run_import(write_source(sheets, fmt), **options)
        assert not report.ok
        assert report.changeset_id is None
        assert_error_at(report, sheet, row, column, fragment)
        # Only the bad rows are named: a good row next to them is not blamed.
        assert {(e.sheet, e.row) for e in report.errors} == (flagged or {(sheet, row)})
        assert snapshot() == before
        return report

    return check


# --- thu_nhan: dates ----------------------------------------------------------------------------------------

def test_intake_day_before_campaign_start_is_rejected(reject):
    reject(sheet_with("thu_nhan", [dt.date(2021, 2, 24), "M-VTH-01", "31318", 10]),
           "thu_nhan", 3, "ngay", "nằm ngoài thời gian thi đua")


def test_intake_day_after_deadline_is_rejected(reject):
    reject(sheet_with("thu_nhan", [dt.date(2021, 7, 2), "M-VTH-01", "31318", 10]),
           "thu_nhan", 3, "ngay", "nằm ngoài thời gian thi đua")


def test_intake_day_that_does_not_exist_is_rejected(reject):
    reject(sheet_with("thu_nhan", ["31/02/2021", "M-VTH-01", "31318", 10]),
           "thu_nhan", 3, "ngay", "không có thật")


def test_intake_day_in_words_is_rejected(reject):
    reject(sheet_with("thu_nhan", ["mùng 5 tháng 3", "M-VTH-01", "31318", 10]),
           "thu_nhan", 3, "ngay", "không phải là ngày")


def test_intake_day_in_month_first_order_is_rejected(reject):
    reject(sheet_with("thu_nhan", ["03/25/2021", "M-VTH-01", "31318", 10]),
           "thu_nhan", 3, "ngay", "không có thật")


# --- thu_nhan: machines and communes ------------------------------------------------------------------------

def test_intake_by_machine_not_assigned_that_day_is_rejected(reject):
    # M-NBA-01 is assigned from 01/03 to 31/05/2021 only.
    reject(sheet_with("thu_nhan", [dt.date(2021, 6, 15), "M-NBA-01", "31340", 10]),
           "thu_nhan", 3, "ngay", "không được phân công")


def test_intake_in_commune_outside_team_area_is_rejected(reject):
    # TO-VTH-1 serves 31318 and 31321 only; 31324 is in the same district.
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "31324", 10]),
           "thu_nhan", 3, "ma_xa", "không thuộc địa bàn của tổ TO-VTH-1")


def test_intake_in_commune_of_another_district_is_rejected(reject):
    # TO-NBA-1 inherits district 931; 31318 is in 930.
    reject(sheet_with("thu_nhan", [MAR_5, "M-NBA-01", "31318", 10]),
           "thu_nhan", 3, "ma_xa", "không thuộc địa bàn của tổ TO-NBA-1")


def test_intake_with_unknown_machine_is_rejected(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-KHONG-CO", "31318", 10]),
           "thu_nhan", 3, "ma_may", "không có máy mã «M-KHONG-CO»")


def test_intake_machine_code_is_case_sensitive(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "m-vth-01", "31318", 10]),
           "thu_nhan", 3, "ma_may", "không có máy mã «m-vth-01»")


def test_intake_with_unknown_commune_is_rejected(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "99999", 10]),
           "thu_nhan", 3, "ma_xa", "«99999» không phải mã xã của tỉnh 93")


def test_intake_with_district_code_as_commune_is_rejected(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "930", 10]),
           "thu_nhan", 3, "ma_xa", "«930» không phải mã xã")


# --- thu_nhan: counts ---------------------------------------------------------------------------------------

def test_intake_negative_count_is_rejected(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "31318", -5]),
           "thu_nhan", 3, "so_ho_so", "là số âm")


def test_intake_fractional_count_is_rejected(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "31318", 12.5]),
           "thu_nhan", 3, "so_ho_so", "số lẻ")


def test_intake_non_numeric_count_is_rejected(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "31318", "mười hai"]),
           "thu_nhan", 3, "so_ho_so", "«mười hai» không phải là số")


def test_intake_formula_like_count_is_rejected_as_non_numeric(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "31318", "=1+1"]),
           "thu_nhan", 3, "so_ho_so", "«=1+1» không phải là số")


def test_intake_count_above_max_per_machine_day_is_rejected(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "31318", 2001]),
           "thu_nhan", 3, "so_ho_so", "vượt mức tối đa 2.000 hồ sơ một máy một ngày")


def test_intake_count_at_max_per_machine_day_is_accepted(fmt, write_source, run_import):
    report = run_import(write_source({"thu_nhan": [H["thu_nhan"], [MAR_5, "M-VTH-01", "31318", 2000]]}, fmt))
    assert report.ok, [str(e) for e in report.errors]
    assert report.counts["thu_nhan"].added == 1


def test_intake_machine_day_total_over_max_across_communes_is_rejected(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "31318", 1500], [MAR_5, "M-VTH-01", "31321", 600]),
           "thu_nhan", 4, "so_ho_so", "tổng số hồ sơ của máy trong ngày này là 2.100",
           flagged={("thu_nhan", 3), ("thu_nhan", 4)})


def test_intake_machine_day_total_over_max_with_stored_rows_is_rejected(reject):
    # 60 are stored for M-VTH-01 in 31318 on 02/03/2021: 60 + 1950 is over 2000.
    reject(sheet_with("thu_nhan", [dt.date(2021, 3, 2), "M-VTH-01", "31321", 1950]),
           "thu_nhan", 3, "so_ho_so", "tổng số hồ sơ của máy trong ngày này là 2.010")


def test_intake_replacement_pushing_machine_day_over_max_is_rejected(reject):
    # Stored on 01/03/2021 for M-VTH-01: 85 in 31318 (replaced here) and 40 in 31321: 1970 + 40 is over 2000.
    reject(sheet_with("thu_nhan", [dt.date(2021, 3, 1), "M-VTH-01", "31318", 1970]),
           "thu_nhan", 3, "so_ho_so", "tổng số hồ sơ của máy trong ngày này là 2.010",
           replace=True, reason="Sửa số liệu")


def test_intake_replaced_value_is_not_counted_twice_in_machine_day_total(fmt, write_source, run_import):
    # 1955 replaces the stored 85 in 31318: with the stored 40 in 31321 the day makes 1995.
    sheets = {"thu_nhan": [H["thu_nhan"], [dt.date(2021, 3, 1), "M-VTH-01", "31318", 1955]]}
    report = run_import(write_source(sheets, fmt), replace=True, reason="Sửa số liệu")
    assert report.ok, [str(e) for e in report.errors]
    assert report.counts["thu_nhan"].replaced == 1


def test_intake_required_cell_empty_is_rejected(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "31318", None]),
           "thu_nhan", 3, "so_ho_so", "ô bắt buộc đang trống")


def test_intake_duplicate_key_within_file_is_rejected(reject):
    reject(sheet_with("thu_nhan", [MAR_5, "M-VTH-01", "31318", 10], [MAR_5, "M-VTH-01", "31318", 10]),
           "thu_nhan", 4, "ngay", "trùng khóa (ngay, ma_may, ma_xa) với dòng 3")


def test_intake_duplicate_key_written_as_other_date_form_is_rejected(reject):
    reject(sheet_with("thu_nhan", ["05/03/2021", "M-VTH-01", "31318", 10],
                      ["2021-03-05", "M-VTH-01", "31318", 10]),
           "thu_nhan", 4, "ngay", "trùng khóa (ngay, ma_may, ma_xa) với dòng 3")


def test_missing_required_column_is_rejected_at_header_row(reject):
    sheets = {"thu_nhan": [["ngay", "ma_may", "ma_xa", "ghi_chu"], [MAR_5, "M-VTH-01", "31318", "x"]]}
    reject(sheets, "thu_nhan", 1, "so_ho_so", "thiếu cột bắt buộc ở dòng tiêu đề")


def test_row_numbers_count_blank_rows(reject):
    reject(sheet_with("thu_nhan", [None, None, None, None], [MAR_5, "M-VTH-01", "31318", -1]),
           "thu_nhan", 4, "so_ho_so", "là số âm")


# --- dan_so -------------------------------------------------------------------------------------------------

def test_population_with_unknown_commune_is_rejected(reject):
    reject(sheet_with("dan_so", ["31999", 1000]), "dan_so", 3, "ma_xa", "«31999» không phải mã xã")


def test_population_duplicate_commune_within_file_is_rejected(reject):
    reject(sheet_with("dan_so", ["31327", 1000], ["31327", 1000]),
           "dan_so", 4, "ma_xa", "trùng khóa với dòng 3")


def test_population_negative_count_is_rejected(reject):
    reject(sheet_with("dan_so", ["31327", -1000]), "dan_so", 3, "so_nguoi_trong_do_tuoi", "là số âm")


def test_population_required_cell_empty_is_rejected(reject):
    reject(sheet_with("dan_so", ["31327", None]),
           "dan_so", 3, "so_nguoi_trong_do_tuoi", "ô bắt buộc đang trống")


# --- don_vi -------------------------------------------------------------------------------------------------

def test_unit_with_unknown_competition_group_is_rejected(reject):
    reject(sheet_with("don_vi", ["CAH-CTA", "Công an huyện Châu Thành A", "cong_an_huyen", "PC06", "932",
                                 "cap_xa"]),
           "don_vi", 3, "nhom_thi_dua", "nhóm thi đua «cap_xa» không có trong đợt thi đua")


def test_unit_with_unknown_kind_is_rejected(reject):
    reject(sheet_with("don_vi", ["CAH-CTA", "Công an huyện Châu Thành A", "cong_an", "PC06", "932",
                                 "cap_huyen"]),
           "don_vi", 3, "loai", "«cong_an» không hợp lệ; chỉ nhận")


def test_unit_with_unknown_parent_is_rejected(reject):
    reject(sheet_with("don_vi", ["TO-X", "Tổ X", "to", "CAH-KHONG-CO", None, None]),
           "don_vi", 3, "ma_don_vi_cap_tren", "không có đơn vị mã «CAH-KHONG-CO»")


def test_unit_with_area_outside_province_is_rejected(reject):
    # 31117 is a commune of Cần Thơ (92), not of Hậu Giang.
    reject(sheet_with("don_vi", ["TO-X", "Tổ X", "to", "CAH-VTH", "31318;31117", None]),
           "don_vi", 3, "dia_ban", "mã địa bàn «31117» không thuộc tỉnh 93")


def test_unit_duplicate_code_within_file_is_rejected(reject):
    reject(sheet_with("don_vi", ["TO-X", "Tổ X", "to", "CAH-VTH", None, None],
                      ["TO-X", "Tổ X (lặp)", "to", "CAH-VTH", None, None]),
           "don_vi", 4, "ma_don_vi", "trùng khóa với dòng 3")


def test_unit_cycle_in_tree_is_rejected(reject):
    sheets = {"don_vi": [H["don_vi"], GOOD["don_vi"],
                         ["DOI-A", "Đội A", "doi", "DOI-B", None, None],
                         ["DOI-B", "Đội B", "doi", "DOI-A", None, None]]}
    reject(sheets, "don_vi", 3, "ma_don_vi_cap_tren", "vòng lặp trong cây đơn vị: DOI-A → DOI-B → DOI-A")


def test_unit_cycle_through_stored_units_is_rejected(reject):
    # Stored: PC06 → CAH-VTH → TO-VTH-1; making TO-VTH-1 the parent of PC06 closes a loop.
    reject(sheet_with("don_vi", ["PC06", "Phòng Cảnh sát quản lý hành chính về trật tự xã hội", "phong", "TO-VTH-1",
                                 "93", "cap_tinh"]),
           "don_vi", 3, "ma_don_vi_cap_tren", "vòng lặp trong cây đơn vị: PC06 → TO-VTH-1 → CAH-VTH → PC06",
           replace=True, reason="Sửa cây đơn vị")


def test_unit_required_name_empty_is_rejected(reject):
    reject(sheet_with("don_vi", ["TO-X", None, "to", "CAH-VTH", None, None]),
           "don_vi", 3, "ten_don_vi", "ô bắt buộc đang trống")


# --- can_bo -------------------------------------------------------------------------------------------------

def test_officer_in_unknown_unit_is_rejected(reject):
    reject(sheet_with("can_bo", ["CB-011", "Võ Văn Em", "TO-KHONG-CO", None, None, None]),
           "can_bo", 3, "ma_don_vi", "không có đơn vị mã «TO-KHONG-CO»")


def test_officer_with_bad_yes_no_is_rejected(reject):
    reject(sheet_with("can_bo", ["CB-011", "Võ Văn Em", "TO-VTH-1", None, None, "có"]),
           "can_bo", 3, "truc_tiep_cap_cccd", "«có» không hợp lệ; chỉ nhận: co, khong")


def test_officer_duplicate_code_within_file_is_rejected(reject):
    reject(sheet_with("can_bo", ["CB-011", "Võ Văn Em", "TO-VTH-1", None, None, None],
                      ["CB-011", "Võ Văn Em", "TO-NBA-1", None, None, None]),
           "can_bo", 4, "ma_can_bo", "trùng khóa với dòng 3")


def test_officer_sheet_without_name_column_is_rejected(reject):
    sheets = {"can_bo": [["ma_can_bo", "ma_don_vi"], ["CB-011", "TO-VTH-1"]]}
    reject(sheets, "can_bo", 1, "ho_ten", "thiếu cột bắt buộc ở dòng tiêu đề")


# --- may ----------------------------------------------------------------------------------------------------

def test_assignment_to_unknown_team_is_rejected(reject):
    reject(sheet_with("may", ["M-X", "TO-KHONG-CO", None, None, None, 50]),
           "may", 3, "ma_to", "không có đơn vị mã «TO-KHONG-CO»")


def test_assignment_to_unit_that_is_not_a_team_is_rejected(reject):
    reject(sheet_with("may", ["M-X", "CAH-VTH", None, None, None, 50]),
           "may", 3, "ma_to", "đơn vị «CAH-VTH» không phải là tổ")


def test_assignment_with_both_quota_and_daily_target_is_rejected(reject):
    reject(sheet_with("may", ["M-X", "TO-VTH-1", None, None, 5000, 50]),
           "may", 3, "chi_tieu", "chỉ ghi một trong hai cột chi_tieu hoặc chi_tieu_ngay")


def test_assignment_with_neither_quota_nor_daily_target_is_rejected(reject):
    reject(sheet_with("may", ["M-X", "TO-VTH-1", None, None, None, None]),
           "may", 3, "chi_tieu_ngay", "cần ghi chi_tieu (tổng) hoặc chi_tieu_ngay")


def test_assignment_ending_before_it_starts_is_rejected(reject):
    reject(sheet_with("may", ["M-X", "TO-VTH-1", dt.date(2021, 4, 10), dt.date(2021, 4, 1), None, 50]),
           "may", 3, "den_ngay", "đến ngày 01/04/2021 trước từ ngày 10/04/2021")


def test_assignment_starting_outside_campaign_is_rejected(reject):
    reject(sheet_with("may", ["M-X", "TO-VTH-1", dt.date(2021, 1, 15), dt.date(2021, 4, 1), None, 50]),
           "may", 3, "tu_ngay", "nằm ngoài thời gian thi đua")


def test_assignments_overlapping_within_file_are_rejected(reject):
    reject(sheet_with("may", ["M-X", "TO-VTH-1", dt.date(2021, 3, 1), dt.date(2021, 3, 31), None, 50],
                      ["M-X", "TO-NBA-1", dt.date(2021, 3, 20), dt.date(2021, 4, 30), None, 50]),
           "may", 4, "tu_ngay", "máy M-X bị phân công chồng thời gian với dòng 3")


def test_every_assignment_overlapping_a_long_one_is_named(reject):
    reject(sheet_with("may", ["M-X", "TO-VTH-1", dt.date(2021, 3, 1), dt.date(2021, 4, 30), None, 50],
                      ["M-X", "TO-NBA-1", dt.date(2021, 3, 5), dt.date(2021, 3, 10), None, 50],
                      ["M-X", "TO-NBA-1", dt.date(2021, 3, 15), dt.date(2021, 3, 20), None, 50]),
           "may", 5, "tu_ngay", "máy M-X bị phân công chồng thời gian với dòng 3",
           flagged={("may", 4), ("may", 5)})


def test_assignment_overlapping_stored_one_is_rejected(reject):
    # M-VTH-01 is stored for the whole campaign.
    reject(sheet_with("may", ["M-VTH-01", "TO-VTH-1", dt.date(2021, 4, 1), dt.date(2021, 4, 30), None, 50]),
           "may", 3, "tu_ngay",
           "máy M-VTH-01 bị phân công chồng thời gian với phân công đã có 25/02/2021–01/07/2021")


# --- several bad rows, several sheets -----------------------------------------------------------------------

def test_every_bad_row_across_sheets_is_reported(fmt, write_source, run_import, snapshot):
    sheets = {
        "don_vi": [H["don_vi"], GOOD["don_vi"], ["TO-X", "Tổ X", "to_lam_viec", "CAH-VTH", None, None]],
        "can_bo": [H["can_bo"], ["CB-011", "Võ Văn Em", "TO-KHONG-CO", None, None, None], GOOD["can_bo"]],
        "may": [H["may"], GOOD["may"], ["M-X", "TO-VTH-1", None, None, 100, 10]],
        "dan_so": [H["dan_so"], ["31327", -3], GOOD["dan_so"]],
        "thu_nhan": [H["thu_nhan"], GOOD["thu_nhan"], [MAR_5, "M-KHONG-CO", "31318", 10],
                     ["30/02/2021", "M-VTH-01", "31318", 10], [MAR_5, "M-VTH-01", "31321", "12,5"]],
    }
    before = snapshot()
    report = run_import(write_source(sheets, fmt))
    assert {(e.sheet, e.row, e.column) for e in report.errors} == {
        ("don_vi", 3, "loai"),
        ("can_bo", 2, "ma_don_vi"),
        ("may", 3, "chi_tieu"),
        ("dan_so", 2, "so_nguoi_trong_do_tuoi"),
        ("thu_nhan", 3, "ma_may"),
        ("thu_nhan", 4, "ngay"),
        ("thu_nhan", 5, "so_ho_so"),
    }
    assert snapshot() == before


def test_errors_are_listed_in_sheet_and_row_order_whenever_they_were_found(fmt, write_source, run_import):
    # Found out of order: an unknown parent once every unit is read, a machine's day over the limit once every
    # intake row is staged; the workbook's own order of sheets does not matter either.
    sheets = {
        "thu_nhan": [H["thu_nhan"], [MAR_5, "M-VTH-01", "31318", 1500], [MAR_5, "M-VTH-01", "31321", 600],
                     [MAR_5, "M-NBA-01", "31340", -1]],
        "don_vi": [H["don_vi"], ["TO-X", "Tổ X", "to", "KHONG-CO", None, None],
                   ["TO-Y", "Tổ Y", "to_lam_viec", "CAH-VTH", None, None]],
    }
    report = run_import(write_source(sheets, fmt))
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [
        ("don_vi", 2, "ma_don_vi_cap_tren"), ("don_vi", 3, "loai"),
        ("thu_nhan", 2, "so_ho_so"), ("thu_nhan", 3, "so_ho_so"), ("thu_nhan", 4, "so_ho_so"),
    ]


def test_sheets_holding_only_their_header_are_ignored_and_listed(fmt, write_source, run_import):
    sheets = {"don_vi": [H["don_vi"]], "dan_so": [H["dan_so"], [None, None]],
              "thu_nhan": [H["thu_nhan"], GOOD["thu_nhan"]]}
    report = run_import(write_source(sheets, fmt))
    assert report.ok, [str(e) for e in report.errors]
    assert list(report.counts) == ["thu_nhan"] and report.empty_sheets == ["don_vi", "dan_so"]


def test_a_dry_run_lists_the_first_rows_it_would_add_or_change_in_the_files_order(fmt, write_source, run_import,
                                                                                  snapshot, monkeypatch):
    monkeypatch.setattr(importer, "PLANNED_ROWS", 5)
    march_1 = dt.date(2021, 3, 1)
    sheets = {
        "don_vi": [H["don_vi"], GOOD["don_vi"]],
        "dan_so": [H["dan_so"], ["31318", 6300], GOOD["dan_so"]],
        "thu_nhan": [H["thu_nhan"], [march_1, "M-VTH-01", "31318", 86], [MAR_5, "M-VTH-01", "31318", 10],
                     [march_1, "M-VTH-01", "31321", 40], [MAR_5, "M-VTH-01", "31321", 5]],
    }
    before = snapshot()
    report = run_import(write_source(sheets, fmt), replace=True, reason="Sửa theo báo cáo", dry_run=True)
    assert report.ok, [str(e) for e in report.errors]
    assert [(p.sheet, p.row, p.before is None) for p in report.planned] == [
        ("don_vi", 2, True), ("dan_so", 2, False), ("dan_so", 3, True), ("thu_nhan", 2, False), ("thu_nhan", 3, True),
    ]
    changed = report.planned[3]
    assert (changed.key, changed.before, changed.after) == ((march_1, "M-VTH-01", "31318"), {"so_ho_so": 85},
                                                            {"so_ho_so": 86})
    assert (report.totals().added, report.totals().replaced) == (4, 2)
    assert snapshot() == before


# --- formula-like text is data ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ['=HYPERLINK("x")', "+84 Tổ lưu động", "-Tổ lưu động-", "@Tổ lưu động"])
def test_formula_like_unit_name_is_stored_verbatim(fmt, write_source, run_import, name):
    sheets = {"don_vi": [H["don_vi"], ["TO-VTH-9", name, "to", "CAH-VTH", "31318", None]]}
    report = run_import(write_source(sheets, fmt))
    assert report.ok, [str(e) for e in report.errors]
    assert Unit.objects.get(code="TO-VTH-9").name == name


# --- whole files --------------------------------------------------------------------------------------------

def assert_file_rejected(report, fragment: str):
    assert not report.ok
    assert len(report.errors) == 1
    assert report.errors[0].row is None
    assert fragment in report.errors[0].message, [str(e) for e in report.errors]


def test_text_file_named_xlsx_is_rejected(tmp_path, run_import, snapshot):
    path = tmp_path / "so-lieu.xlsx"
    path.write_text("ngay,ma_may,ma_xa,so_ho_so\n05/03/2021,M-VTH-01,31318,10\n", encoding="utf-8")
    before = snapshot()
    assert_file_rejected(run_import(path), "không phải là tệp Excel .xlsx")
    assert snapshot() == before


def test_text_file_named_zip_is_rejected(tmp_path, run_import, snapshot):
    path = tmp_path / "so-lieu.zip"
    path.write_text("ngay,ma_may,ma_xa,so_ho_so\n", encoding="utf-8")
    before = snapshot()
    assert_file_rejected(run_import(path), "không phải là tệp .zip")
    assert snapshot() == before


def test_zip_of_csvs_named_xlsx_is_rejected(tmp_path, write_source, run_import, snapshot):
    path = write_source({"thu_nhan": [H["thu_nhan"], GOOD["thu_nhan"]]}, "zip").rename(tmp_path / "so-lieu.xlsx")
    before = snapshot()
    assert_file_rejected(run_import(path), "không phải là tệp Excel .xlsx")
    assert snapshot() == before


def test_encrypted_workbook_is_rejected(tmp_path, run_import, snapshot):
    path = tmp_path / "so-lieu.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le")
                     + b"\0" * 1024)
    before = snapshot()
    assert_file_rejected(run_import(path), "được mã hóa bằng mật khẩu")
    assert snapshot() == before


def test_file_over_size_limit_is_rejected(fmt, write_source, run_import, snapshot, settings):
    settings.THIDUA_IMPORT_MAX_BYTES = 64
    sheets = {"thu_nhan": [H["thu_nhan"], *[[MAR_5, "M-VTH-01", "31318", 10 + i] for i in range(10)]]}
    path = write_source(sheets, fmt)
    before = snapshot()
    assert_file_rejected(run_import(path), "quá lớn")
    assert snapshot() == before


def test_zip_expanding_past_limit_is_rejected(write_source, run_import, snapshot, settings):
    settings.THIDUA_IMPORT_MAX_UNZIPPED_BYTES = 1024
    sheets = {"thu_nhan": [H["thu_nhan"], *[[MAR_5, "M-VTH-01", "31318", 10]] * 100]}
    path = write_source(sheets, "zip")
    before = snapshot()
    assert_file_rejected(run_import(path), "khi giải nén quá lớn")
    assert snapshot() == before


def test_csv_not_in_utf8_is_rejected(tmp_path, run_import, snapshot):
    folder = tmp_path / "so-lieu"
    folder.mkdir()
    text = "ma_don_vi,ten_don_vi,loai,ma_don_vi_cap_tren\r\nTO-X,Tổ cấp căn cước lưu động,to,CAH-VTH\r\n"
    (folder / "don_vi.csv").write_bytes(text.encode("cp1258", errors="replace"))
    before = snapshot()
    assert_file_rejected(run_import(folder), "không phải văn bản UTF-8")
    assert snapshot() == before


def test_single_sheet_csv_in_latin1_is_rejected(tmp_path, run_import, snapshot):
    path = tmp_path / "don_vi.csv"
    path.write_bytes(b"ma_don_vi,ten_don_vi,loai\r\nTO-X,T\xe9 l\xfcu \xf0\xf4ng,to\r\n")
    before = snapshot()
    assert_file_rejected(run_import(path), "không phải văn bản UTF-8")
    assert snapshot() == before


def test_non_utf8_sheet_after_good_sheets_changes_nothing(tmp_path, write_source, run_import, snapshot):
    folder = write_source({"don_vi": [H["don_vi"], GOOD["don_vi"]], "dan_so": [H["dan_so"], GOOD["dan_so"]]}, "csv")
    (folder / "thu_nhan.csv").write_bytes("ngay,ma_may,ma_xa,so_ho_so\r\n05/03/2021,Máy 1,31318,10\r\n"
                                          .encode("latin-1"))
    before = snapshot()
    report = run_import(folder)
    assert not report.ok
    assert any("không phải văn bản UTF-8" in e.message for e in report.errors), [str(e) for e in report.errors]
    assert snapshot() == before
