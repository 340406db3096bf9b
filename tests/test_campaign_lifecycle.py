"""The lifecycle of documents.md, one table in the code (thidua.awards.lifecycle): every transition row by row,
every role against every step, what each step needs, and each step an act with its reason."""

import datetime as dt

import pytest
from django.utils import timezone
from lifecycle import advance_to, moment, step_fields

from thidua.accounts.models import Role
from thidua.audit.models import Change
from thidua.awards import lifecycle
from thidua.awards.models import Snapshot
from thidua.awards.services import StepError, advance, approve_scale, campaign_advance, close_if_due
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, Status

pytestmark = pytest.mark.django_db

# documents.md's table, as the specification writes it: (from, to, roles).
SPEC = {
    ("draft", "running"): {"quan_tri", "pc06"},
    ("running", "closed"): {"pc06", "quan_tri"},
    ("closed", "scored"): {"pc06"},
    ("scored", "published"): {"pc06"},
    ("published", "proposed"): {"pc06"},
    ("proposed", "decided"): {"hoi_dong", "quan_tri"},
    ("decided", "archived"): {"quan_tri"},
    ("closed", "running"): {"pc06", "quan_tri"},
    ("scored", "closed"): {"pc06", "quan_tri"},
    ("published", "scored"): {"pc06", "quan_tri"},
    ("proposed", "published"): {"pc06", "quan_tri"},
}


def test_the_table_in_the_code_is_documents_md():
    assert {(t.source, t.target): set(t.roles) for t in lifecycle.TRANSITIONS} == SPEC


def at_status(campaign, status):
    """Carry the campaign to `status` by the forward steps only."""
    return advance_to(campaign, status) if status != Status.DRAFT else campaign


@pytest.mark.parametrize(("source", "target"), sorted(SPEC))
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_takes_only_its_steps(campaign, source, target, role):
    campaign = at_status(campaign, source)
    back = lifecycle.transition(source, target).back
    if (source, target) == ("closed", "scored"):
        approve_scale(campaign=campaign, actor="hoidong", role=Role.COUNCIL, reason="Duyệt")
    with clock.at(moment(campaign, source if back else target) + dt.timedelta(hours=1)):
        if role in SPEC[(source, target)]:
            advance(campaign=campaign, to=target, actor="ai-do", role=role, reason="Lý do của bước",
                    fields=step_fields(campaign, target))
            assert Campaign.objects.get(pk=campaign.pk).status == target
        else:
            with pytest.raises(StepError, match="Vai trò của bạn không thực hiện bước này"):
                advance(campaign=campaign, to=target, actor="ai-do", role=role, reason="Lý do",
                        fields=step_fields(campaign, target))
            assert Campaign.objects.get(pk=campaign.pk).status == source


@pytest.mark.parametrize("source", [s.value for s in Status])
def test_no_other_step_exists(campaign, source):
    campaign.status = source
    campaign.save()
    for target in Status.values:
        if (source, target) not in SPEC:
            with pytest.raises(StepError, match="Không chuyển được"):
                campaign_advance(campaign=campaign, to=target, actor="pc06", reason="x")


def test_a_step_is_an_act_with_its_reason(campaign):
    campaign = campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason="Phát động")
    change = Change.objects.get(entity="campaign.status")
    assert (change.before, change.after) == ({"status": "draft", "workflow": {}},
                                             {"status": "running", "workflow": {}})
    assert change.changeset.reason == "Phát động" and change.changeset.actor == "pc06"


@pytest.mark.parametrize("reason", ["", "   ", "a\x00b", "x" * 1001])
def test_a_step_needs_a_usable_reason(campaign, reason):
    with pytest.raises(StepError):
        campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason=reason)
    assert Campaign.objects.get(pk=campaign.pk).status == Status.DRAFT


def test_starting_needs_units_and_machines(campaign):
    empty = Campaign.objects.create(code="trong", name="Trống", province_code="93", start=campaign.start,
                                    deadline=campaign.deadline, settings=campaign.settings)
    with pytest.raises(StepError) as err:
        campaign_advance(campaign=empty, to=Status.RUNNING, actor="pc06", reason="x")
    assert any("Chưa có đơn vị" in p for p in err.value.problems)
    assert any("Chưa có máy" in p for p in err.value.problems)


def test_scoring_needs_the_councils_approval_and_the_unverified_days_confirmed(campaign):
    campaign = advance_to(campaign, Status.CLOSED)
    with clock.at(moment(campaign, Status.SCORED)), pytest.raises(StepError) as err:
        campaign_advance(campaign=campaign, to=Status.SCORED, actor="pc06", reason="Chấm")
    assert "Hội đồng TĐKT chưa duyệt thang điểm." in err.value.problems
    assert any("chưa được xác nhận" in p for p in err.value.problems)
    approve_scale(campaign=campaign, actor="hoidong", role=Role.COUNCIL, reason="Duyệt")
    with pytest.raises(StepError, match="Chỉ Hội đồng"):
        approve_scale(campaign=campaign, actor="pc06", role=Role.PC06, reason="Duyệt")
    with clock.at(moment(campaign, Status.SCORED)):
        campaign = campaign_advance(campaign=campaign, to=Status.SCORED, actor="pc06", reason="Chấm",
                                    fields=step_fields(campaign, Status.SCORED))
    snapshot = Snapshot.objects.get(campaign=campaign)
    assert snapshot.version == 1 and snapshot.intact and snapshot.payload()["as_of"] == "2021-07-01"


def test_a_settings_change_after_the_approval_needs_a_new_one(campaign):
    campaign = advance_to(campaign, Status.CLOSED)
    approve_scale(campaign=campaign, actor="hoidong", role=Role.COUNCIL, reason="Duyệt")
    settings = dict(campaign.settings, max_per_machine_day=1999)
    Campaign.objects.filter(pk=campaign.pk).update(settings=settings)
    with clock.at(moment(campaign, Status.SCORED)), pytest.raises(StepError, match="duyệt lại"):
        campaign_advance(campaign=campaign, to=Status.SCORED, actor="pc06", reason="Chấm",
                         fields=step_fields(campaign, Status.SCORED))


def test_proposing_waits_for_the_end_of_the_appeals_window(campaign):
    campaign = advance_to(campaign, Status.PUBLISHED)
    assert campaign.workflow["appeals_until"] == "2021-07-09"  # published 04/07, 5 days
    last_day = timezone.make_aware(dt.datetime(2021, 7, 9, 16))
    with clock.at(last_day), pytest.raises(StepError, match="Thời hạn khiếu nại đến hết ngày 09/07/2021"):
        campaign_advance(campaign=campaign, to=Status.PROPOSED, actor="pc06", reason="Trình",
                         fields=step_fields(campaign, Status.PROPOSED))
    campaign = advance_to(campaign, Status.PROPOSED)
    assert campaign.workflow["proposal"] == {"number": 15, "date": "2021-07-10"}


@pytest.mark.parametrize(("fields", "problem"), [
    ({}, "Cần ghi số quyết định."),
    ({"decision_number": "abc", "decision_date": "12/07/2021", "decision_signer": "A"}, "phải là số nguyên dương"),
    ({"decision_number": "5", "decision_date": "31/02/2021", "decision_signer": "A"}, "không hợp lệ"),
    ({"decision_number": "5", "decision_date": "13/07/2021", "decision_signer": "x" * 121}, "dài quá"),
    ({"decision_number": "5", "decision_date": "01/07/2021", "decision_signer": "A"}, "trước ngày Tờ trình"),
])
def test_the_decision_needs_its_number_date_and_signer(campaign, fields, problem):
    campaign = advance_to(campaign, Status.PROPOSED)
    with pytest.raises(StepError) as err:
        campaign_advance(campaign=campaign, to=Status.DECIDED, actor="hoidong", reason="QĐ", fields=fields)
    assert any(problem in p for p in err.value.problems)
    assert Campaign.objects.get(pk=campaign.pk).status == Status.PROPOSED


def test_stepping_back_keeps_the_snapshots_and_rescoring_makes_a_new_one(campaign):
    campaign = advance_to(campaign, Status.SCORED)
    campaign = campaign_advance(campaign=campaign, to=Status.CLOSED, actor="pc06", reason="Sửa số liệu")
    assert Snapshot.objects.filter(campaign=campaign).count() == 1
    campaign = advance_to(campaign, Status.SCORED)
    assert list(Snapshot.objects.filter(campaign=campaign).values_list("version", flat=True)) == [1, 2]


def test_the_campaign_closes_by_itself_after_the_grace_days(campaign):
    campaign = advance_to(campaign, Status.RUNNING)
    on_time = timezone.make_aware(dt.datetime(2021, 7, 4, 12))
    with clock.at(on_time):
        assert close_if_due(campaign).status == Status.RUNNING
    with clock.at(on_time + dt.timedelta(days=1)):
        assert close_if_due(campaign).status == Status.CLOSED
    act = Change.objects.filter(entity="campaign.status").last().changeset
    assert act.actor == "hệ thống" and "Tự kết thúc" in act.reason


def test_the_command_takes_a_step_with_its_fields_and_names_every_problem(campaign, capsys):
    from django.core.management import CommandError, call_command
    call_command("advance_campaign", campaign.code, "running", "--reason", "Phát động")
    assert "Đang diễn ra" in capsys.readouterr().out
    advance_to(campaign, Status.PUBLISHED)
    with clock.at(moment(campaign, Status.PROPOSED)):
        with pytest.raises(CommandError) as err:
            call_command("advance_campaign", campaign.code, "proposed", "--reason", "Trình",
                         "--proposal-number", "x", "--proposal-date", "32/07/2021")
        assert "phải là số nguyên dương" in str(err.value) and "không hợp lệ" in str(err.value)
        call_command("advance_campaign", campaign.code, "proposed", "--reason", "Trình", "--proposal-number", "7",
                     "--proposal-date", "10/07/2021")
    assert Campaign.objects.get(pk=campaign.pk).workflow["proposal"] == {"number": 7, "date": "2021-07-10"}


def test_a_tie_waiting_for_the_council_stops_the_proposal_and_is_named_by_its_group(campaign):
    from nominations_support import crown

    from thidua.awards.services import blocking
    campaign = advance_to(campaign, Status.PUBLISHED)
    crown(campaign, {"CAH-VTH": 1, "CAH-NBA": 1}, tied=("CAH-VTH", "CAH-NBA"))
    with clock.at(moment(campaign, Status.PROPOSED)):
        problems = blocking(campaign, lifecycle.transition(Status.PUBLISHED, Status.PROPOSED))
    assert any("Nhóm «Công an cấp huyện», hạng giải 1: CAH-VTH, CAH-NBA đồng hạng" in p for p in problems), problems
    assert not any("cap_huyen" in p for p in problems)
