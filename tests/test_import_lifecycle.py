"""Imports and the campaign's life: data locked once it closes, officers moving between teams, a failure half-way."""

import datetime as dt

import pytest

from thidua.campaigns.models import Status
from thidua.exchange import importer
from thidua.units.models import Membership

pytestmark = pytest.mark.django_db

H_OFFICER = ["ma_can_bo", "ho_ten", "ma_don_vi", "cap_bac", "chuc_vu", "truc_tiep_cap_cccd", "tu_ngay"]
INTAKE = {"thu_nhan": [["ngay", "ma_may", "ma_xa", "so_ho_so"], [dt.date(2021, 3, 20), "M-VTH-01", "31318", 44]]}


@pytest.mark.parametrize("status", [Status.CLOSED, Status.SCORED, Status.DECIDED])
def test_a_closed_campaign_refuses_data(campaign, status, write_source, run_import, snapshot):
    campaign.status = status
    campaign.save(update_fields=["status"])
    before = snapshot()
    report = run_import(write_source(INTAKE, "csv"))
    assert not report.ok and "số liệu đã khóa" in str(report.errors[0])
    assert snapshot() == before


def test_an_officer_moves_to_another_team_on_a_date(campaign, write_source, run_import):
    move = {"can_bo": [H_OFFICER, ["CB-001", "Nguyễn Văn An", "TO-NBA-1", "Đại úy", "Tổ trưởng", "co",
                                   dt.date(2021, 4, 15)]]}
    report = run_import(write_source(move, "xlsx"))
    assert report.ok, [str(e) for e in report.errors]
    spans = list(Membership.objects.filter(officer__code="CB-001").order_by("start")
                 .values_list("unit__code", "start", "end"))
    assert spans == [("TO-VTH-1", campaign.start, dt.date(2021, 4, 14)), ("TO-NBA-1", dt.date(2021, 4, 15), None)]


def test_a_different_unit_without_a_date_is_refused(campaign, write_source, run_import, snapshot):
    before = snapshot()
    move = {"can_bo": [H_OFFICER[:-1], ["CB-001", "Nguyễn Văn An", "TO-NBA-1", "Đại úy", "Tổ trưởng", "co"]]}
    report = run_import(write_source(move, "csv"))
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [("can_bo", 2, "ma_don_vi")]
    assert "ngày chuyển ở cột tu_ngay" in report.errors[0].message
    assert snapshot() == before


def test_a_failure_half_way_through_the_intake_changes_nothing(campaign, write_source, run_import, snapshot,
                                                               monkeypatch):
    before = snapshot()

    def fail(*args, **kwargs):
        raise RuntimeError("mất điện")

    monkeypatch.setattr(importer, "_settle_intake", fail)
    sheets = {"dan_so": [["ma_xa", "so_nguoi_trong_do_tuoi"], ["31324", 3900]], **INTAKE}
    with pytest.raises(RuntimeError):
        run_import(write_source(sheets, "xlsx"))
    assert snapshot() == before
