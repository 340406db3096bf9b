"""Importing is idempotent: the same file twice changes nothing; a changed value is a correction, made only on
request (--replace) with a reason, and recorded in the history."""

import datetime as dt

import pytest

from thidua.audit.models import Change, ChangeSet
from thidua.intake.models import EligiblePopulation, IntakeRecord
from thidua.units.models import Officer, Unit

pytestmark = pytest.mark.django_db

H_INTAKE = ["ngay", "ma_may", "ma_xa", "so_ho_so"]
H_POPULATION = ["ma_xa", "so_nguoi_trong_do_tuoi"]
ACTOR = "kiem-thu"  # the actor of conftest.run_import
REASON = "Tổ báo cáo nhầm số ngày 01/03/2021, đã đối chiếu sổ thu nhận"

# New data of every sheet, none of it in the base dataset.
NEW = {
    "don_vi": [["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cap_tren", "dia_ban", "nhom_thi_dua"],
               ["TO-VTH-2", "Tổ cấp CCCD lưu động số 2 Vị Thanh", "to", "CAH-VTH", "31324;31327", None]],
    "can_bo": [["ma_can_bo", "ho_ten", "ma_don_vi", "cap_bac", "chuc_vu", "truc_tiep_cap_cccd"],
               ["CB-010", "Phạm Thị Dung", "TO-VTH-2", "Thiếu úy", "Tổ trưởng", "co"]],
    "may": [["ma_may", "ma_to", "tu_ngay", "den_ngay", "chi_tieu", "chi_tieu_ngay"],
            ["M-VTH-02", "TO-VTH-2", dt.date(2021, 3, 1), dt.date(2021, 6, 30), None, 100]],
    "dan_so": [H_POPULATION, ["31324", 3900], ["31327", 4100]],
    "thu_nhan": [H_INTAKE,
                 [dt.date(2021, 3, 1), "M-VTH-02", "31324", 55],
                 [dt.date(2021, 3, 1), "M-VTH-02", "31327", 45],
                 [dt.date(2021, 3, 2), "M-VTH-02", "31324", 70]],
}


@pytest.fixture(params=["xlsx", "csv", "zip"])
def fmt(request) -> str:
    return request.param


def intake_count(day: dt.date, machine: str, commune: str) -> int:
    return IntakeRecord.objects.get(day=day, machine__code=machine, commune__code=commune).applications


def test_new_data_imports_in_every_form(fmt, write_source, run_import):
    report = run_import(write_source(NEW, fmt))
    assert report.ok, [str(e) for e in report.errors]
    assert {name: c.added for name, c in report.counts.items()} == {
        "don_vi": 1, "can_bo": 1, "may": 1, "dan_so": 2, "thu_nhan": 3}
    assert Unit.objects.get(code="TO-VTH-2").areas.count() == 2
    assert Officer.objects.filter(code="CB-010").exists()
    assert intake_count(dt.date(2021, 3, 1), "M-VTH-02", "31327") == 45
    assert ChangeSet.objects.get(pk=report.changeset_id).actor == ACTOR


def test_single_sheet_csv_imports(tmp_path, run_import):
    path = tmp_path / "thu_nhan.csv"
    path.write_text("ngay,ma_may,ma_xa,so_ho_so\n2021-03-04,M-VTH-01,31321,33\n", encoding="utf-8")
    report = run_import(path)
    assert report.ok, [str(e) for e in report.errors]
    assert intake_count(dt.date(2021, 3, 4), "M-VTH-01", "31321") == 33


def test_importing_same_file_twice_changes_nothing(fmt, write_source, run_import, snapshot):
    path = write_source(NEW, fmt)
    assert run_import(path).ok
    before = snapshot()
    report = run_import(path)
    assert report.ok, [str(e) for e in report.errors]
    totals = report.totals()
    assert (totals.added, totals.replaced, totals.rejected) == (0, 0, 0)
    assert totals.unchanged == 1 + 1 + 1 + 2 + 3
    assert report.changeset_id is None
    assert snapshot() == before


def test_reimporting_base_dataset_changes_nothing(base_data, run_import, snapshot):
    before = snapshot()
    report = run_import(base_data)
    assert report.ok, [str(e) for e in report.errors]
    totals = report.totals()
    assert (totals.added, totals.replaced) == (0, 0)
    assert totals.unchanged == 5 + 3 + 3 + 3 + 5  # every row of conftest.BASE
    assert snapshot() == before


# --- a changed intake count -------------------------------------------------------------------------------

CHANGED_INTAKE = {"thu_nhan": [H_INTAKE,
                               [dt.date(2021, 3, 1), "M-VTH-01", "31321", 40],
                               [dt.date(2021, 3, 1), "M-VTH-01", "31318", 95]]}


def test_changed_intake_count_without_replace_is_rejected(fmt, write_source, run_import, snapshot):
    before = snapshot()
    report = run_import(write_source(CHANGED_INTAKE, fmt))
    assert not report.ok
    [error] = report.errors
    assert (error.sheet, error.row, error.column) == ("thu_nhan", 3, "so_ho_so")
    assert "dòng 3" in str(error) and "cột so_ho_so" in str(error)
    assert "đã có giá trị «85», tệp ghi «95»" in error.message
    assert "sửa số liệu, có ghi lý do sửa" in error.message and "--replace" not in error.message
    assert snapshot() == before


def test_changed_intake_count_with_replace_is_recorded_with_reason(fmt, write_source, run_import):
    report = run_import(write_source(CHANGED_INTAKE, fmt), replace=True, reason=REASON)
    assert report.ok, [str(e) for e in report.errors]
    counts = report.counts["thu_nhan"]
    assert (counts.added, counts.unchanged, counts.replaced) == (0, 1, 1)
    assert intake_count(dt.date(2021, 3, 1), "M-VTH-01", "31318") == 95
    change = Change.objects.get(entity="thu_nhan", changeset_id=report.changeset_id)
    assert change.key == "2021-03-01|M-VTH-01|31318"
    assert (change.before, change.after) == ({"so_ho_so": 85}, {"so_ho_so": 95})
    changeset = change.changeset
    assert (changeset.reason, changeset.actor) == (REASON, ACTOR)
    record = IntakeRecord.objects.get(day=dt.date(2021, 3, 1), machine__code="M-VTH-01", commune__code="31318")
    assert record.changeset_id == changeset.id


@pytest.mark.parametrize("reason", ["", "   "])
def test_replace_without_reason_is_refused(fmt, write_source, run_import, snapshot, reason):
    before = snapshot()
    report = run_import(write_source(CHANGED_INTAKE, fmt), replace=True, reason=reason)
    assert not report.ok
    [error] = report.errors
    assert error.message == "sửa số liệu cần ghi lý do sửa"
    assert snapshot() == before


# --- a changed population ---------------------------------------------------------------------------------

CHANGED_POPULATION = {"dan_so": [H_POPULATION, ["31318", 6200], ["31340", 7350]]}


def test_changed_population_without_replace_is_rejected(fmt, write_source, run_import, snapshot):
    before = snapshot()
    report = run_import(write_source(CHANGED_POPULATION, fmt))
    assert not report.ok
    [error] = report.errors
    assert (error.sheet, error.row, error.column) == ("dan_so", 3, "so_nguoi_trong_do_tuoi")
    assert "dòng 3" in str(error) and "cột so_nguoi_trong_do_tuoi" in str(error)
    assert "Dân số xã 31340 đã có giá trị «7100», tệp ghi «7350»" in error.message
    assert snapshot() == before


def test_changed_population_with_replace_is_recorded_with_reason(fmt, write_source, run_import):
    report = run_import(write_source(CHANGED_POPULATION, fmt), replace=True, reason=REASON)
    assert report.ok, [str(e) for e in report.errors]
    counts = report.counts["dan_so"]
    assert (counts.added, counts.unchanged, counts.replaced) == (0, 1, 1)
    assert EligiblePopulation.objects.get(commune__code="31340").people == 7350
    change = Change.objects.get(entity="dan_so", changeset_id=report.changeset_id)
    assert change.key == "31340"
    assert (change.before, change.after) == ({"so_nguoi_trong_do_tuoi": 7100}, {"so_nguoi_trong_do_tuoi": 7350})
    assert (change.changeset.reason, change.changeset.actor) == (REASON, ACTOR)


def test_population_replace_without_reason_is_refused(fmt, write_source, run_import, snapshot):
    before = snapshot()
    report = run_import(write_source(CHANGED_POPULATION, fmt), replace=True, reason="")
    assert not report.ok
    assert report.errors[0].message == "sửa số liệu cần ghi lý do sửa"
    assert snapshot() == before


def test_replaced_file_imported_again_changes_nothing(fmt, write_source, run_import, snapshot):
    path = write_source(CHANGED_INTAKE, fmt)
    assert run_import(path, replace=True, reason=REASON).ok
    before = snapshot()
    report = run_import(path)
    assert report.ok, [str(e) for e in report.errors]
    assert (report.totals().added, report.totals().replaced) == (0, 0)
    assert snapshot() == before
