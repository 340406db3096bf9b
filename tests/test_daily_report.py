"""The daily report of a team: enter, submit, verify (locks), reopen with a reason; the import's rules apply."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from thidua.audit.chain import chain_verify
from thidua.audit.models import Change, ChangeSet
from thidua.intake.integrity import data_verify
from thidua.intake.models import DailyReport, IntakeRecord, ReportStatus
from thidua.intake.selectors import teams_without_report
from thidua.intake.services import (
    NOTHING_TO_VERIFY,
    ReportError,
    report_reopen,
    report_save,
    report_submit,
    report_verify,
    reports_verify,
)
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
DAY = dt.date(2021, 3, 10)


@pytest.fixture
def team(campaign):
    return Unit.objects.get(campaign=campaign, code="TO-VTH-1")


def save(campaign, team, rows, **kw):
    return report_save(campaign=campaign, team=team, day=DAY, rows=rows, actor="to-vth", **kw)


def errors_of(call) -> list:
    with pytest.raises(ReportError) as caught:
        call()
    return caught.value.errors


def test_a_day_is_entered_and_recorded(campaign, team):
    result = save(campaign, team, [("M-VTH-01", "31318", 90), ("M-VTH-01", "31321", "25")])
    assert (result.added, result.changed) == (2, 0)
    assert IntakeRecord.objects.get(day=DAY, commune__code="31321").applications == 25
    assert Change.objects.filter(entity="thu_nhan", key__startswith="2021-03-10|M-VTH-01").count() == 2
    assert chain_verify().ok


def test_saving_the_same_values_again_changes_nothing(campaign, team):
    save(campaign, team, [("M-VTH-01", "31318", 90)])
    acts = Change.objects.count()
    result = save(campaign, team, [("M-VTH-01", "31318", 90)])
    assert (result.added, result.changed, result.unchanged) == (0, 0, 1)
    assert Change.objects.count() == acts


def test_every_bad_row_is_named_and_nothing_is_written(campaign, team):
    errors = errors_of(lambda: save(campaign, team, [("M-VTH-01", "31318", 90), ("M-VTH-01", "31340", 5),
                                                     ("M-VTH-01", "31321", -2), ("M-NBA-01", "31318", 1)]))
    assert (1, "ma_xa", "xã 31340 không thuộc địa bàn của tổ TO-VTH-1") in errors
    assert any(e[:2] == (2, "so_ho_so") and "số âm" in e[2] for e in errors)
    assert any(e[:2] == (3, "ma_may") for e in errors)
    assert not IntakeRecord.objects.filter(day=DAY).exists()


def test_a_machine_and_commune_twice_is_refused(campaign, team):
    errors = errors_of(lambda: save(campaign, team, [("M-VTH-01", "31318", 9), ("M-VTH-01", "31318", 8)]))
    assert errors == [(1, "ma_xa", "máy M-VTH-01 và xã 31318 đã có ở dòng 1")]


def test_the_days_total_of_a_machine_is_bounded(campaign, team):
    save(campaign, team, [("M-VTH-01", "31318", 1500)])
    errors = errors_of(lambda: save(campaign, team, [("M-VTH-01", "31321", 600)]))
    assert errors[0][:2] == (0, "so_ho_so") and "2.100" in errors[0][2]


def test_submitting_after_the_day_is_late(campaign, team):
    report = report_submit(campaign=campaign, team=team, day=DAY, actor="to-vth",
                           now=dt.datetime(2021, 3, 12, 9, tzinfo=dt.UTC))
    assert report.status == ReportStatus.SUBMITTED and report.late
    on_time = report_submit(campaign=campaign, team=team, day=DAY + dt.timedelta(days=1), actor="to-vth",
                            now=dt.datetime(2021, 3, 11, 10, tzinfo=dt.UTC))
    assert not on_time.late


def test_a_correction_after_submitting_needs_a_reason(campaign, team):
    save(campaign, team, [("M-VTH-01", "31318", 90)])
    report_submit(campaign=campaign, team=team, day=DAY, actor="to-vth")
    errors = errors_of(lambda: save(campaign, team, [("M-VTH-01", "31318", 95)]))
    assert errors == [(0, "so_ho_so", "ngày đã gửi: sửa số liệu cần ghi lý do")]
    save(campaign, team, [("M-VTH-01", "31318", 95)], reason="Đếm lại phiếu")
    change = Change.objects.filter(entity="thu_nhan", key="2021-03-10|M-VTH-01|31318").last()
    assert (change.before, change.after, change.changeset.reason) == ({"so_ho_so": 90}, {"so_ho_so": 95},
                                                                       "Đếm lại phiếu")


def test_a_verified_day_is_locked_until_reopened_with_a_reason(campaign, team):
    save(campaign, team, [("M-VTH-01", "31318", 90)])
    report = report_verify(report=report_submit(campaign=campaign, team=team, day=DAY, actor="to-vth"),
                           actor="huyen-vth")
    assert "đã được xác nhận và khóa" in errors_of(lambda: save(campaign, team, [("M-VTH-01", "31318", 1)]))[0][2]
    assert "cần ghi lý do" in errors_of(lambda: report_reopen(report=report, actor="pc06", reason=" "))[0][2]
    report = report_reopen(report=report, actor="pc06", reason="Tổ báo sai xã")
    assert report.status == ReportStatus.DRAFT
    assert save(campaign, team, [("M-VTH-01", "31318", 91)]).changed == 1
    assert chain_verify().ok


def test_only_a_submitted_day_can_be_verified(campaign, team):
    save(campaign, team, [("M-VTH-01", "31318", 90)])
    draft = DailyReport.objects.get(team=team, day=DAY)
    assert "Chỉ xác nhận được ngày đã gửi" in errors_of(lambda: report_verify(report=draft, actor="huyen"))[0][2]


def test_teams_that_have_not_reported_are_listed(campaign, team):
    both = {t.code for t in teams_without_report(campaign, DAY)}
    assert both == {"TO-VTH-1", "TO-NBA-1"}
    report_submit(campaign=campaign, team=team, day=DAY, actor="to-vth")
    assert [t.code for t in teams_without_report(campaign, DAY)] == ["TO-NBA-1"]
    assert teams_without_report(campaign, DAY, unit_ids=frozenset({team.id})) == []


def test_a_closed_campaign_refuses_reports(campaign, team):
    campaign.status = "closed"
    campaign.save(update_fields=["status"])
    assert "số liệu đã khóa" in errors_of(lambda: save(campaign, team, [("M-VTH-01", "31318", 90)]))[0][2]


def sent_verified_reopened(campaign, team, sent_at: dt.datetime):
    """Return the report of DAY sent at `sent_at`, verified by the district, then reopened by PC06."""
    save(campaign, team, [("M-VTH-01", "31318", 90)])
    report = report_submit(campaign=campaign, team=team, day=DAY, actor="to-vth", now=sent_at)
    report = report_verify(report=report, actor="huyen-vth")
    return report_reopen(report=report, actor="pc06", reason="Tổ ghi nhầm xã")


def test_sending_again_a_reopened_day_keeps_the_first_sending_on_time(campaign, team):
    first = dt.datetime(2021, 3, 10, 12, 30, tzinfo=dt.UTC)  # 19:30 in Vietnam
    sent_verified_reopened(campaign, team, first)
    again = report_submit(campaign=campaign, team=team, day=DAY, actor="to-vth-2",
                          now=dt.datetime(2021, 3, 14, 9, tzinfo=dt.UTC))
    assert again.status == ReportStatus.SUBMITTED and not again.late
    assert (again.submitted_at, again.submitted_by) == (first, "to-vth")


def test_a_day_first_sent_late_stays_late_when_sent_again(campaign, team):
    sent_verified_reopened(campaign, team, dt.datetime(2021, 3, 12, 9, tzinfo=dt.UTC))
    assert report_submit(campaign=campaign, team=team, day=DAY, actor="to-vth").late


def test_the_history_reproduces_a_day_reopened_and_sent_again(campaign, team):
    sent_verified_reopened(campaign, team, dt.datetime(2021, 3, 10, 12, 30, tzinfo=dt.UTC))
    report_submit(campaign=campaign, team=team, day=DAY, actor="to-vth", now=dt.datetime(2021, 3, 14, tzinfo=dt.UTC))
    assert chain_verify().ok and data_verify() is None
    call_command("audit", "verify", stdout=io.StringIO())  # exits non-zero on any discrepancy


def test_a_day_without_a_machine_cannot_be_submitted(campaign):
    other = Unit.objects.get(campaign=campaign, code="TO-NBA-1")  # its machines start on 01/03
    errors = errors_of(lambda: report_submit(campaign=campaign, team=other, day=dt.date(2021, 2, 26), actor="x"))
    assert errors == [(None, None, "Tổ TO-NBA-1 không giữ máy nào ngày 26/02/2021: ngày này không có báo cáo để "
                                   "nhập hay gửi.")]
    assert not DailyReport.objects.filter(team=other).exists()


def both_sent(campaign):
    teams = list(Unit.objects.filter(campaign=campaign, code__in=["TO-VTH-1", "TO-NBA-1"]).order_by("code"))
    for t in teams:
        report_submit(campaign=campaign, team=t, day=DAY, actor="to")
    return teams


def test_verifying_the_reports_of_many_teams_is_one_act(campaign):
    teams = both_sent(campaign)
    before = ChangeSet.objects.count()
    done = reports_verify(campaign=campaign, day=DAY, team_ids=[t.id for t in teams], actor="huyen")
    assert [r.team.code for r in done] == ["TO-NBA-1", "TO-VTH-1"]
    assert set(DailyReport.objects.filter(day=DAY).values_list("status", "verified_by")) == {("verified", "huyen")}
    assert ChangeSet.objects.count() == before + 1
    act = ChangeSet.objects.order_by("-seq").first()
    assert sorted(act.changes.values_list("key", flat=True)) == ["TO-NBA-1|2021-03-10", "TO-VTH-1|2021-03-10"]
    assert chain_verify().ok and data_verify() is None


def test_verifying_many_leaves_alone_the_reports_no_longer_waiting(campaign):
    nba, vth = both_sent(campaign)
    report_verify(report=DailyReport.objects.get(team=nba, day=DAY), actor="pc06")
    done = reports_verify(campaign=campaign, day=DAY, team_ids=[vth.id, nba.id], actor="huyen")
    assert [r.team.code for r in done] == ["TO-VTH-1"]
    assert DailyReport.objects.get(team=nba, day=DAY).verified_by == "pc06"


def test_verifying_many_with_nothing_waiting_is_refused(campaign, team):
    assert errors_of(lambda: reports_verify(campaign=campaign, day=DAY, team_ids=[team.id], actor="huyen")) == [
        (None, None, NOTHING_TO_VERIFY)]
