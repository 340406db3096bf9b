"""Counts changed, added or removed directly in the database are found by `thidua audit verify`, whether they were
imported (a digest in the import's act) or entered on a page (their recorded changes)."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from thidua.audit.models import ChangeSet
from thidua.intake.integrity import intake_verify
from thidua.intake.models import IntakeRecord
from thidua.intake.services import report_save
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
DAY = dt.date(2021, 3, 21)
HEADER = ["ngay", "ma_may", "ma_xa", "so_ho_so"]


def imported(run_import, write_source, count=17, **options):
    report = run_import(write_source({"thu_nhan": [HEADER, [DAY, "M-VTH-01", "31318", count],
                                                   [DAY, "M-VTH-01", "31321", 5]]}, "csv"), **options)
    assert report.ok
    return report


def test_the_base_data_and_a_new_import_hold(campaign, run_import, write_source):
    assert intake_verify() is None
    report = imported(run_import, write_source)
    assert ChangeSet.objects.get(pk=report.changeset_id).summary["thu_nhan"]["created_sha256"].startswith("2:")
    assert intake_verify() is None


def test_an_imported_count_altered_in_the_database_is_found(campaign, run_import, write_source):
    report = imported(run_import, write_source)
    IntakeRecord.objects.filter(day=DAY, commune__code="31318").update(applications=170)
    problem = intake_verify()
    assert problem and f"mục #{report.changeset_id}" in problem and "sửa, thêm hoặc xóa thẳng" in problem


def test_a_count_corrected_through_the_import_holds_and_then_its_alteration_is_found(campaign, run_import,
                                                                                      write_source):
    imported(run_import, write_source)
    imported(run_import, write_source, count=19, replace=True, reason="Tổ báo lại")
    assert intake_verify() is None
    IntakeRecord.objects.filter(day=DAY, commune__code="31318").update(applications=20)
    assert "là 20, nhật ký ghi 19" in intake_verify()


def test_a_count_entered_on_the_report_page_altered_in_the_database_is_found(campaign):
    report_save(campaign=campaign, team=Unit.objects.get(code="TO-VTH-1"), day=DAY, rows=[("M-VTH-01", "31318", 8)],
                actor="thu-ky")
    assert intake_verify() is None
    IntakeRecord.objects.filter(day=DAY).update(applications=80)
    assert "ngày 2021-03-21, máy M-VTH-01, xã 31318 là 80, nhật ký ghi 8" in intake_verify()


def test_a_count_deleted_from_the_database_is_found(campaign, run_import, write_source):
    imported(run_import, write_source)
    IntakeRecord.objects.filter(day=DAY, commune__code="31321").delete()
    assert "sửa, thêm hoặc xóa thẳng" in intake_verify()


def test_a_count_slipped_into_the_database_is_found(campaign, run_import, write_source):
    report = imported(run_import, write_source)
    original = IntakeRecord.objects.get(day=DAY, commune__code="31318")
    IntakeRecord.objects.create(campaign=campaign, day=DAY + dt.timedelta(days=1), machine=original.machine,
                                commune=original.commune, team=original.team, applications=3,
                                changeset_id=report.changeset_id, created_in_id=report.changeset_id)
    assert f"mục #{report.changeset_id}" in intake_verify()


def test_the_command_checks_the_counts_after_the_chain(campaign, run_import, write_source, capsys):
    imported(run_import, write_source)
    call_command("audit", "verify")
    assert "mọi số liệu thu nhận khớp với nhật ký" in capsys.readouterr().out
    IntakeRecord.objects.filter(day=DAY, commune__code="31318").update(applications=1)
    with pytest.raises(CommandError, match="số liệu không khớp"):
        call_command("audit", "verify")
