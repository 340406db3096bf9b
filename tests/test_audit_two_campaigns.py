"""Two campaigns sharing every code (units, machines, officers, communes): `thidua audit verify` checks each record
against its own campaign's history, so that a count of one never stands for, nor hides, a count of the other."""

import dataclasses
import datetime as dt

import pytest

from thidua.campaigns.services import campaign_init
from thidua.exchange.importer import workbook_import
from thidua.intake.integrity import data_verify
from thidua.intake.models import Assignment, DailyReport, EligiblePopulation, IntakeRecord, ReportStatus
from thidua.intake.services import report_save, report_submit
from thidua.units.models import Membership, Unit

pytestmark = pytest.mark.django_db
IMPORTED_DAY = dt.date(2021, 3, 1)  # the base data's count of M-VTH-01 in 31318 that day is 85, in both campaigns
DAY = dt.date(2021, 3, 10)


@pytest.fixture
def other(campaign, base_data):
    """A second campaign, `khac`, holding the same units, machines, officers and counts as the reference one."""
    second, _ = campaign_init(config=dataclasses.replace(campaign.config, code="khac"), actor="pc06")
    assert workbook_import(campaign=second, path=base_data, actor="pc06").ok
    assert data_verify() is None
    return second


def team(campaign):
    return Unit.objects.get(campaign=campaign, code="TO-VTH-1")


def test_a_count_entered_in_one_campaign_is_not_checked_against_the_others(campaign, other):
    report_save(campaign=other, team=team(other), day=DAY, rows=[("M-VTH-01", "31318", 5)], actor="to-khac")
    report_save(campaign=campaign, team=team(campaign), day=DAY, rows=[("M-VTH-01", "31318", 689)], actor="to")
    assert data_verify() is None


def test_a_correction_in_one_campaign_is_not_checked_against_the_others_import(campaign, other):
    report_save(campaign=other, team=team(other), day=IMPORTED_DAY, rows=[("M-VTH-01", "31318", 5)], actor="to-khac")
    assert IntakeRecord.objects.get(campaign=campaign, day=IMPORTED_DAY, commune__code="31318",
                                    machine__code="M-VTH-01").applications == 85
    assert data_verify() is None


def test_a_count_deleted_in_one_campaign_is_not_hidden_by_the_same_count_in_the_other(campaign, other):
    report_save(campaign=campaign, team=team(campaign), day=DAY, rows=[("M-VTH-01", "31318", 690)], actor="to")
    report_save(campaign=other, team=team(other), day=DAY, rows=[("M-VTH-01", "31318", 690)], actor="to-khac")
    assert data_verify() is None
    IntakeRecord.objects.filter(campaign=other, day=DAY).delete()
    problem = data_verify()
    assert problem is not None and "2021-03-10|M-VTH-01|31318" in problem and "đợt khac" in problem, problem
    assert "xóa thẳng" in problem


def test_a_correction_deleted_in_one_campaign_is_not_hidden_by_the_other(campaign, other):
    """The imported count corrected to the same value in both campaigns, then one of them deleted."""
    for c, actor in ((campaign, "to"), (other, "to-khac")):
        report_save(campaign=c, team=team(c), day=IMPORTED_DAY, rows=[("M-VTH-01", "31318", 90)], actor=actor)
    IntakeRecord.objects.filter(campaign=other, day=IMPORTED_DAY, commune__code="31318").delete()
    assert data_verify() is not None


def test_a_count_moved_to_the_other_campaign_is_found(campaign, other):
    IntakeRecord.objects.filter(campaign=campaign, day=IMPORTED_DAY, commune__code="31318").update(campaign=other)
    problem = data_verify()
    assert problem is not None and "đợt khac" in problem, problem


def test_a_count_moved_to_the_same_team_of_the_other_campaign_is_found(campaign, other):
    IntakeRecord.objects.filter(campaign=campaign, day=IMPORTED_DAY, commune__code="31318").update(team=team(other))
    problem = data_verify()
    assert problem is not None and "TO-VTH-1 (của đợt thi đua khác)" in problem, problem


@pytest.mark.parametrize("change, shown", [
    (lambda c: Unit.objects.filter(campaign=c, code="TO-NBA-1").update(parent=Unit.objects.get(campaign=c,
                                                                                                 code="CAH-VTH")),
     "Đơn vị «TO-NBA-1» (đợt khac)"),
    (lambda c: Assignment.objects.filter(machine__campaign=c, machine__code="M-NBA-02").update(quota=1),
     "Phân công máy «M-NBA-02|2021-03-01» (đợt khac)"),
    (lambda c: EligiblePopulation.objects.filter(campaign=c, commune__code="31340").update(people=1),
     "Dân số trong độ tuổi của xã «31340» (đợt khac)"),
    (lambda c: Membership.objects.filter(officer__campaign=c, officer__code="CB-002").update(
        unit=Unit.objects.get(campaign=c, code="TO-VTH-1")), "Cán bộ «CB-002» (đợt khac)"),
])
def test_each_record_of_the_other_campaign_is_checked_against_its_own_history(campaign, other, change, shown):
    change(other)
    problem = data_verify()
    assert problem is not None and shown in problem, problem


def test_a_report_of_the_other_campaign_is_checked_against_its_own_history(campaign, other):
    for c, actor in ((campaign, "to"), (other, "to-khac")):
        report_save(campaign=c, team=team(c), day=DAY, rows=[("M-VTH-01", "31318", 9)], actor=actor)
        report_submit(campaign=c, team=team(c), day=DAY, actor=actor)
    assert data_verify() is None
    DailyReport.objects.filter(campaign=other, day=DAY).update(status=ReportStatus.VERIFIED)
    problem = data_verify()
    assert problem is not None and "Báo cáo ngày «TO-VTH-1|2021-03-10» (đợt khac)" in problem, problem
