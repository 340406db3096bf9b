"""Everything that decides a rank is reproduced by the history: `thidua audit verify` finds each change made directly
in the database (a count moved to another team or machine, an assignment's dates or quota, a report's status, a unit
moved in the tree or to another group, an officer's unit, the population, a campaign's settings, status, dates or
demo mark), while every change made through the services, the import and the demo verifies."""

import dataclasses
import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from thidua.audit.chain import changeset_seal
from thidua.audit.models import Change, ChangeSet
from thidua.audit.services import changeset_open, record_change
from thidua.awards.services import campaign_advance
from thidua.campaigns.models import Campaign, CompetitionGroup, Status
from thidua.campaigns.services import campaign_init
from thidua.intake.integrity import data_verify
from thidua.intake.models import Assignment, DailyReport, EligiblePopulation, IntakeRecord, Machine, ReportStatus
from thidua.intake.services import report_reopen, report_save, report_submit, report_verify
from thidua.territory.models import AdminUnit
from thidua.units.models import Membership, Officer, Unit

pytestmark = pytest.mark.django_db
DAY = dt.date(2021, 3, 10)


def unit(code):
    return Unit.objects.get(code=code)


@pytest.fixture
def reported(campaign):
    """A day of TO-VTH-1 entered on the page, submitted and verified."""
    team = unit("TO-VTH-1")
    report_save(campaign=campaign, team=team, day=DAY, rows=[("M-VTH-01", "31318", 90)], actor="to-vth")
    report = report_submit(campaign=campaign, team=team, day=DAY, actor="to-vth",
                           now=dt.datetime(2021, 3, 10, 10, 30, tzinfo=dt.UTC))
    return report_verify(report=report, actor="huyen-vth")


def found(*fragments):
    problem = data_verify()
    assert problem is not None, "the change made in the database was not found"
    for fragment in fragments:
        assert fragment in problem, problem
    return problem


def test_the_base_data_and_every_step_through_the_services_verify(campaign, reported):
    report_reopen(report=reported, actor="pc06", reason="Tổ báo sai")
    campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason="Phát động")
    assert data_verify() is None
    call_command("audit", "verify")


# --- the counts -----------------------------------------------------------------------------------------------

def test_an_imported_count_moved_to_another_team_is_found(campaign):
    IntakeRecord.objects.filter(day=dt.date(2021, 3, 1), commune__code="31318").update(team=unit("TO-NBA-1"))
    found("ngày 2021-03-01, máy M-VTH-01, xã 31318 được tính cho tổ TO-NBA-1", "thuộc tổ TO-VTH-1")


def test_a_count_entered_on_a_page_moved_to_another_team_is_found(campaign, reported):
    IntakeRecord.objects.filter(day=DAY).update(team=unit("TO-NBA-1"))
    found("được tính cho tổ TO-NBA-1", "chuyển thẳng")


def test_a_count_entered_on_a_page_given_to_another_act_is_found(campaign, reported):
    """The act a count names as its creator lists it on the act's page: pointing it at another act is a change."""
    other = ChangeSet.objects.exclude(id=IntakeRecord.objects.get(day=DAY).created_in_id).order_by("seq").first()
    IntakeRecord.objects.filter(day=DAY).update(created_in=other)
    found(f"do mục #{other.id} của nhật ký tạo ra", "sửa thẳng")


def test_a_count_moved_to_another_machine_is_found(campaign):
    IntakeRecord.objects.filter(day=dt.date(2021, 3, 2), machine__code="M-NBA-01").update(
        machine=Machine.objects.get(code="M-NBA-02"))
    found("sửa, thêm hoặc xóa thẳng")


def test_a_count_moved_to_another_day_is_found(campaign, reported):
    IntakeRecord.objects.filter(day=DAY).update(day=DAY + dt.timedelta(days=1))
    found()


# --- assignments ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value", "shown"), [
    ("end", dt.date(2021, 4, 30), "đến ngày trong cơ sở dữ liệu là «2021-04-30», nhật ký ghi «2021-05-31»"),
    ("daily_target", 900, "chỉ tiêu ngày trong cơ sở dữ liệu là «900», nhật ký ghi «90»"),
])
def test_an_assignment_changed_in_the_database_is_found(campaign, field, value, shown):
    Assignment.objects.filter(machine__code="M-NBA-01").update(**{field: value})
    found("Phân công máy «M-NBA-01|2021-03-01»", shown)


def test_an_assignments_quota_changed_is_found(campaign):
    Assignment.objects.filter(machine__code="M-NBA-02").update(quota=900)
    found("chỉ tiêu trong cơ sở dữ liệu là «900», nhật ký ghi «9000»")


def test_an_assignment_given_to_another_team_with_its_counts_is_found(campaign):
    other = unit("TO-VTH-1")
    Assignment.objects.filter(machine__code="M-NBA-01").update(team=other)
    IntakeRecord.objects.filter(machine__code="M-NBA-01").update(team=other)
    found("tổ trong cơ sở dữ liệu là «TO-VTH-1», nhật ký ghi «TO-NBA-1»")


def test_an_assignment_slipped_into_the_database_is_found(campaign):
    machine = Machine.objects.create(campaign=campaign, code="M-LAU")
    Assignment.objects.create(machine=machine, team=unit("TO-VTH-1"), start=dt.date(2021, 3, 1),
                              end=dt.date(2021, 3, 31), daily_target=500)
    found("Phân công máy «M-LAU|2021-03-01»", "thêm thẳng")


def test_an_assignment_deleted_from_the_database_is_found(campaign):
    IntakeRecord.objects.filter(machine__code="M-NBA-02").delete()
    Assignment.objects.filter(machine__code="M-NBA-02").delete()
    found("Phân công máy «M-NBA-02|2021-03-01»", "xóa thẳng")


# --- daily reports --------------------------------------------------------------------------------------------

def test_a_reports_status_changed_is_found(campaign, reported):
    DailyReport.objects.filter(pk=reported.pk).update(status=ReportStatus.SUBMITTED)
    found("Báo cáo ngày «TO-VTH-1|2021-03-10»", "trạng thái trong cơ sở dữ liệu là «submitted», nhật ký ghi "
                                                "«verified»")


@pytest.mark.parametrize(("field", "value", "name"), [("late", True, "trễ hạn"),
                                                      ("verified_by", "nguoi-khac", "người xác nhận")])
def test_a_reports_other_fields_changed_are_found(campaign, reported, field, value, name):
    DailyReport.objects.filter(pk=reported.pk).update(**{field: value})
    found(f"{name} trong cơ sở dữ liệu")


def test_a_verified_report_slipped_into_the_database_is_found(campaign):
    DailyReport.objects.create(campaign=campaign, team=unit("TO-NBA-1"), day=DAY, status=ReportStatus.VERIFIED)
    found("Báo cáo ngày «TO-NBA-1|2021-03-10»", "thêm thẳng")


def test_a_draft_report_opened_by_a_save_needs_no_record(campaign):
    report_save(campaign=campaign, team=unit("TO-VTH-1"), day=DAY, rows=[("M-VTH-01", "31318", 9)], actor="to-vth")
    assert DailyReport.objects.filter(day=DAY, status=ReportStatus.DRAFT).exists()
    assert data_verify() is None


# --- units, officers, population ------------------------------------------------------------------------------

def test_a_unit_moved_in_the_tree_is_found(campaign):
    Unit.objects.filter(code="TO-NBA-1").update(parent=unit("CAH-VTH"))
    found("Đơn vị «TO-NBA-1»", "đơn vị cấp trên trong cơ sở dữ liệu là «CAH-VTH», nhật ký ghi «CAH-NBA»")


def test_a_unit_moved_to_another_group_is_found(campaign):
    Unit.objects.filter(code="CAH-NBA").update(group=CompetitionGroup.objects.get(code="cap_tinh"))
    found("Đơn vị «CAH-NBA»", "nhóm thi đua trong cơ sở dữ liệu là «cap_tinh», nhật ký ghi «cap_huyen»")


def test_a_unit_moved_to_a_group_of_another_campaign_is_found(campaign):
    other, _ = campaign_init(config=dataclasses.replace(campaign.config, code="khac"), actor="pc06")
    group = CompetitionGroup.objects.get(campaign=other, code="cap_huyen")
    Unit.objects.filter(code="CAH-NBA").update(group=group)
    found("Đơn vị «CAH-NBA»", "cap_huyen (của đợt thi đua khác)")


def test_a_units_area_changed_is_found(campaign):
    unit("TO-VTH-1").areas.add(AdminUnit.objects.get(code="31340"))
    found("Đơn vị «TO-VTH-1»", "địa bàn trong cơ sở dữ liệu là «31318;31321;31340», nhật ký ghi «31318;31321»")


def test_a_units_kind_changed_is_found(campaign):
    Unit.objects.filter(code="CAH-NBA").update(kind="to")
    found("loại trong cơ sở dữ liệu là «to», nhật ký ghi «cong_an_huyen»")


def test_an_officers_unit_changed_is_found(campaign):
    Membership.objects.filter(officer__code="CB-002").update(unit=unit("TO-VTH-1"))
    found("Cán bộ «CB-002»", "đơn vị trong cơ sở dữ liệu là «TO-VTH-1», nhật ký ghi «TO-NBA-1»")


def test_the_population_changed_is_found(campaign):
    EligiblePopulation.objects.filter(commune__code="31340").update(people=1)
    found("Dân số trong độ tuổi của xã «31340»", "là «1», nhật ký ghi «7100»")


# --- the campaign ---------------------------------------------------------------------------------------------

def test_a_campaign_setting_changed_is_found(campaign):
    settings = dict(campaign.settings, scale={**campaign.settings["scale"], "intake_points": 90})
    Campaign.objects.filter(pk=campaign.pk).update(settings=settings)
    found("Đợt thi đua «hau-giang-2021»", "cài đặt (settings.scale.intake_points) trong cơ sở dữ liệu là «90», "
                                           "nhật ký ghi «70»")


def test_a_campaigns_deadline_changed_is_found(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(deadline=dt.date(2021, 6, 1))
    found("hạn cuối trong cơ sở dữ liệu là «2021-06-01», nhật ký ghi «2021-07-01»")


def test_a_campaigns_status_changed_is_found(campaign):
    campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason="Phát động")
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.DRAFT)
    found("Trạng thái đợt thi đua «hau-giang-2021»", "«draft», nhật ký ghi «running»")
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.DECIDED)
    found("«decided», nhật ký ghi «running»")


def mark_synthetic(value: bool) -> None:
    """Do what someone with the database would: pass real data for generated, or generated for real."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE campaigns_campaign SET synthetic = %s WHERE code = %s", [value, "hau-giang-2021"])


def test_a_campaign_marked_synthetic_in_the_database_is_found(campaign):
    mark_synthetic(True)
    found("Đợt thi đua «hau-giang-2021»", "đánh dấu dữ liệu mô phỏng trong cơ sở dữ liệu là «có», nhật ký ghi "
                                           "«không»: đã bị sửa thẳng")


def test_the_demos_mark_removed_in_the_database_is_found(campaign):
    campaign_init(config=campaign.config, actor="demo", synthetic=True)
    assert Campaign.objects.get(pk=campaign.pk).synthetic and data_verify() is None
    mark_synthetic(False)
    found("Đợt thi đua «hau-giang-2021»", "đánh dấu dữ liệu mô phỏng trong cơ sở dữ liệu là «không», nhật ký ghi "
                                           "«có»")


def test_the_mark_is_kept_by_a_new_settings_file_and_recorded(campaign):
    campaign_init(config=campaign.config, actor="demo", synthetic=True)
    config = dataclasses.replace(campaign.config, name="Đợt mới")
    campaign_init(config=config, actor="pc06", reason="Đổi tên")
    last = Change.objects.filter(entity="campaign").order_by("-id").first()
    assert last.before["synthetic"] is True and last.after["synthetic"] is True
    assert Campaign.objects.get(pk=campaign.pk).synthetic and data_verify() is None


def test_a_mark_changed_after_an_anchor_fails_the_check_against_it(campaign):
    out = io.StringIO()
    call_command("audit", "anchor", stdout=out)
    mark_synthetic(True)
    with pytest.raises(CommandError, match=re.escape("số liệu không khớp: Đợt thi đua «hau-giang-2021» (đợt "
                                                     "hau-giang-2021): đánh dấu dữ liệu mô phỏng trong cơ sở dữ liệu "
                                                     "là «có»")):
        call_command("audit", "verify", "--anchor", out.getvalue().splitlines()[0])


@pytest.fixture
def older_demo(campaign):
    """A demo's campaign made by the version before, which marked it synthetic with a plain save: its creation's act
    never mentions the mark."""
    recorded = Change.objects.filter(entity="campaign", key=campaign.code).order_by("id").first().after
    settings = campaign.settings
    older = Campaign.objects.create(code="demo-cu", name=campaign.name, province_code=campaign.province_code,
                                    structure=campaign.structure, start=campaign.start, deadline=campaign.deadline,
                                    settings=settings, synthetic=True)
    for g in settings["groups"]:
        CompetitionGroup.objects.create(campaign=older, code=g["code"], name=g["name"], kind=g["kind"])
    act = changeset_open(campaign=older, actor="demo", source="demo")
    record_change(act, "campaign", "demo-cu", None, {k: v for k, v in recorded.items() if k != "synthetic"})
    changeset_seal(act)
    return older


def test_a_campaign_whose_history_never_mentions_the_mark_replays_unmarked(older_demo):
    Campaign.objects.filter(pk=older_demo.pk).update(synthetic=False)
    assert data_verify() is None


def test_an_older_demo_is_named_then_recorded_once_by_seal_legacy(older_demo):
    found("Đợt thi đua «demo-cu» (đợt demo-cu): đánh dấu dữ liệu mô phỏng trong cơ sở dữ liệu là «có», nhật ký ghi "
          "«không»", "`thidua audit seal-legacy`")
    out = io.StringIO()
    call_command("audit", "seal-legacy", "--reason", "Nâng cấp", stdout=out)
    assert "Đã ghi bù vào nhật ký 1 bản ghi" in out.getvalue()
    assert ChangeSet.objects.filter(campaign=older_demo, summary__baseline="synthetic").count() == 1
    assert data_verify() is None
    Campaign.objects.filter(pk=older_demo.pk).update(synthetic=False)
    found("Đợt thi đua «demo-cu»", "là «không», nhật ký ghi «có»")
    with pytest.raises(CommandError, match="không có gì cần xác thực bù"):
        call_command("audit", "seal-legacy", "--reason", "Nâng cấp")
    found("Đợt thi đua «demo-cu»", "là «không», nhật ký ghi «có»")


def test_a_competition_group_renamed_or_added_is_found(campaign):
    CompetitionGroup.objects.filter(code="cap_huyen").update(kind="nomination")
    found("nhóm thi đua «cap_huyen»", "đợt hau-giang-2021")
    CompetitionGroup.objects.filter(code="cap_huyen").update(kind="scored")
    assert data_verify() is None
    CompetitionGroup.objects.create(campaign=campaign, code="moi", name="Mới", kind="scored")
    found("nhóm thi đua «moi»")


def test_the_command_names_the_record_in_vietnamese(campaign):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE intake_assignment SET daily_target = 1000 WHERE daily_target = 120")
    with pytest.raises(CommandError, match=re.escape("Phân công máy «M-VTH-01|2021-02-25» (đợt hau-giang-2021): chỉ "
                                                     "tiêu ngày trong cơ sở dữ liệu là «1000»")):
        call_command("audit", "verify")


def test_a_frozen_snapshot_edited_in_the_database_is_found(campaign):
    from lifecycle import advance_to

    from thidua.awards.models import Snapshot
    advance_to(campaign, Status.SCORED)
    assert data_verify() is None
    snapshot = Snapshot.objects.get()
    Snapshot.objects.filter(pk=snapshot.pk).update(data=snapshot.data.replace('"rank":1', '"rank":2', 1))
    found("Bản chốt kết quả «hau-giang-2021#1»", "mã SHA-256 của nội dung")
    with pytest.raises(ValueError, match="đã bị sửa"):
        Snapshot.objects.get().payload()


def test_a_tie_ruling_changed_in_the_database_is_found(campaign):
    from lifecycle import advance_to

    from thidua.awards.models import Snapshot, TieRuling
    advance_to(campaign, Status.SCORED)
    snapshot = Snapshot.objects.get()
    TieRuling.objects.create(campaign=campaign, snapshot=snapshot, group="cap_huyen", prize_rank=1,
                             order=["CAH-VTH", "CAH-NBA"], ruled_by="x", ruled_at=snapshot.created_at, reason="x")
    found("Phán quyết đồng hạng", "hau-giang-2021#1/cap_huyen/1")


def test_a_nomination_approved_in_the_database_without_the_council_is_found(campaign):
    from lifecycle import advance_to

    from thidua.accounts.models import Role
    from thidua.awards import nominations
    from thidua.awards.models import Nomination
    advance_to(campaign, Status.SCORED)
    pc06 = nominations.Actor("pc06", Role.PC06, Unit.objects.get(campaign=campaign, code="PC06").id)
    nomination = nominations.nomination_propose(
        campaign=campaign, actor=pc06, level="province", kind="individual",
        nominating_unit=nominations.provincial_unit(campaign), officer=Officer.objects.get(code="CB-001"),
        collective=None, achievements="Thu nhận tại nhà cho người cao tuổi.")
    assert data_verify() is None
    Nomination.objects.filter(pk=nomination.pk).update(status="approved")
    found("Đề nghị khen thưởng", "trạng thái", "approved")


def test_an_appeal_decided_in_the_database_is_found(campaign):
    from lifecycle import advance_to

    from thidua.accounts.services import user_create
    from thidua.awards.appeals import file_appeal
    from thidua.awards.models import Appeal
    from thidua.campaigns import clock
    campaign = advance_to(campaign, Status.PUBLISHED)
    filer = user_create(username="huyen-vth-kn", password=None, role="cong_an_huyen", actor="kiem-thu",
                        unit=Unit.objects.get(campaign=campaign, code="CAH-VTH"))
    with clock.at(timezone.make_aware(dt.datetime(2021, 7, 5, 9))):
        appeal = file_appeal(campaign=campaign, user=filer, kind="rule", reason="Điểm thời gian tính chưa đúng.",
                             rule="Điểm thời gian")
    assert data_verify() is None
    Appeal.objects.filter(pk=appeal.pk).update(status="accepted")
    found("Khiếu nại «hau-giang-2021#1»", "trạng thái")
