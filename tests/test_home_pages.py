"""Each role's home page: what it has to do today, within its scope, in a fixed number of queries."""

import datetime as dt

import pytest
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.campaigns.models import Campaign, Status
from thidua.intake.models import DailyReport
from thidua.intake.services import report_reopen, report_save, report_submit, report_verify
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
TODAY = dt.date(2021, 3, 10)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)



def submit(campaign, team_code, day, rows):
    team = Unit.objects.get(campaign=campaign, code=team_code)
    report_save(campaign=campaign, team=team, day=day, rows=rows, actor="kiem-thu")
    report_submit(campaign=campaign, team=team, day=day, actor="kiem-thu")


def reopen(campaign, team_code, day, reason="Tổ ghi nhầm xã", reopen_by="pc06-tinh"):
    """Verify a sent day and have PC06 reopen it, with a reason."""
    report = report_verify(report=DailyReport.objects.get(team__code=team_code, day=day), actor="huyen")
    report_reopen(report=report, actor=reopen_by, reason=reason)


def test_a_clerk_is_asked_for_todays_report_and_the_recent_days_not_sent(login, campaign):
    submit(campaign, "TO-VTH-1", TODAY - dt.timedelta(days=1), [("M-VTH-01", "31318", 10)])
    page = login(Role.TEAM, "TO-VTH-1").get(reverse("home"))
    today = page.context["panels"][0][2]
    assert [u.code for u in today.not_sent] == ["TO-VTH-1"]
    unsent = [d for _, d in today.unsent_days]
    assert TODAY - dt.timedelta(days=1) not in unsent and TODAY - dt.timedelta(days=2) in unsent
    assert TODAY not in unsent  # asked for above the list, not in it
    body = page.content.decode()
    assert "Nhập và gửi báo cáo ngày 10/03/2021" in body
    assert reverse("report_day", args=[campaign.code, "TO-VTH-1", "2021-03-08"]) in body


def test_a_clerk_with_only_today_to_send_gets_no_empty_list_of_days(login, campaign):
    start = campaign.start
    for offset in range((TODAY - start).days):
        submit(campaign, "TO-VTH-1", start + dt.timedelta(days=offset), [("M-VTH-01", "31318", 1)])
    body = login(Role.TEAM, "TO-VTH-1").get(reverse("home")).content.decode()
    assert "Nhập và gửi báo cáo ngày 10/03/2021" in body and "Những ngày gần đây chưa gửi" not in body


def test_a_clerk_who_sent_today_is_told_so(login, campaign):
    submit(campaign, "TO-VTH-1", TODAY, [("M-VTH-01", "31318", 10)])
    body = login(Role.TEAM, "TO-VTH-1").get(reverse("home")).content.decode()
    assert "Đã gửi báo cáo ngày 10/03/2021." in body


def test_a_district_sees_its_teams_not_sent_and_the_days_to_verify(login, campaign):
    submit(campaign, "TO-VTH-1", TODAY, [("M-VTH-01", "31318", 10)])
    submit(campaign, "TO-NBA-1", TODAY, [("M-NBA-01", "31340", 10)])
    page = login(Role.DISTRICT, "CAH-VTH").get(reverse("home"))
    today = page.context["panels"][0][2]
    assert [r.team.code for r in today.to_verify] == ["TO-VTH-1"]  # not the other district's team
    assert today.not_sent == [] and today.teams_due == 1
    assert reverse("report_day", args=[campaign.code, "TO-VTH-1", TODAY.isoformat()]) in page.content.decode()


def test_pc06_sees_the_province_by_district(login, campaign):
    submit(campaign, "TO-VTH-1", TODAY, [("M-VTH-01", "31318", 10)])
    page = login(Role.PC06, "PC06").get(reverse("home"))
    today = page.context["panels"][0][2]
    assert today.not_sent_by_district == [("Công an thành phố Ngã Bảy", 1)]
    assert today.intake_day == 10 and today.eligible == 18100
    assert "1/2 tổ chưa gửi báo cáo hôm nay" in page.content.decode()


@pytest.mark.parametrize("role, unit", [(Role.COUNCIL, None), (Role.VIEWER, "PC06")])
def test_readers_get_the_figures_and_the_standings(login, campaign, role, unit):
    body = login(role, unit).get(reverse("home")).content.decode()
    assert reverse("standings", args=[campaign.code]) in body
    assert "Nhập và gửi" not in body and reverse("import_upload", args=[campaign.code]) not in body


@pytest.mark.parametrize("role, unit", [(Role.PC06, "PC06"), (Role.DISTRICT, "CAH-VTH"), (Role.TEAM, "TO-VTH-1")])
def test_the_home_page_has_a_bounded_number_of_queries(login, campaign, role, unit, django_assert_max_num_queries):
    client = login(role, unit)
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.RUNNING)  # with its alerts
    for day in range(1, 9):
        submit(campaign, "TO-VTH-1", dt.date(2021, 3, day), [("M-VTH-01", "31318", day)])
    for day in range(1, 4):
        reopen(campaign, "TO-VTH-1", dt.date(2021, 3, day), reopen_by="pc06-" + str(day))
    # 18 for the day's duties; 7 more for the alerts' forecast (the standings' inputs, read once after each act and
    # kept: two queries on the next visit) and 1 for the district's and the team's units in scope.
    with django_assert_max_num_queries(26):
        assert client.get(reverse("home")).status_code == 200


def test_the_admin_sees_the_users_to_look_after(login, campaign, client):
    from thidua.accounts.models import LoginFailure

    for _ in range(5):
        LoginFailure.objects.create(username="doan-mat-khau", ip="10.0.0.9")
    page = login(Role.ADMIN, None).get(reverse("home"))
    assert page.context["users"]["locked"] == ["doan-mat-khau"]
    body = page.content.decode()
    assert "doan-mat-khau" in body and reverse("user_list") in body
    assert login(Role.PC06, "PC06").get(reverse("home")).context["users"] is None


def test_a_unit_bound_admin_sees_only_the_locked_names_of_users_they_manage(login, campaign, client):
    from thidua.accounts.models import LoginFailure
    from thidua.accounts.services import user_create

    other = Campaign.objects.create(code="tinh-khac", name="Đợt khác", province_code="92", start=campaign.start,
                                    deadline=campaign.deadline, settings=campaign.settings)
    user_create(username="to-cua-minh", password="x", role=Role.TEAM, actor="kiem-thu",
                unit=Unit.objects.get(campaign=campaign, code="TO-VTH-1"))
    user_create(username="to-dot-khac", password="x", role=Role.TEAM, actor="kiem-thu",
                unit=Unit.objects.create(campaign=other, code="TO-B", name="Tổ B", kind="to"))
    user_create(username="pc06-tinh", password="x", role=Role.PC06, actor="kiem-thu")
    for name in ("to-cua-minh", "to-dot-khac", "pc06-tinh", "doan-mat-khau"):
        LoginFailure.objects.bulk_create([LoginFailure(username=name, ip="10.0.0.9") for _ in range(5)])
    page = login(Role.ADMIN, "PC06").get(reverse("home"))
    assert page.context["users"]["locked"] == ["to-cua-minh"]
    body = page.content.decode()
    assert not [name for name in ("to-dot-khac", "pc06-tinh", "doan-mat-khau") if name in body]
    everyone = login(Role.ADMIN, None).get(reverse("home")).context["users"]["locked"]
    assert everyone == ["doan-mat-khau", "pc06-tinh", "to-cua-minh", "to-dot-khac"]


def test_a_clerk_sees_the_days_pc06_reopened_with_who_when_and_why(login, campaign):
    user_create(username="pc06-tinh", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu",
                full_name="Lê Văn Cường")
    submit(campaign, "TO-VTH-1", dt.date(2021, 3, 8), [("M-VTH-01", "31318", 10)])
    reopen(campaign, "TO-VTH-1", dt.date(2021, 3, 8), reason="Số của xã 31318 ghi nhầm sang 31321")
    page = login(Role.TEAM, "TO-VTH-1").get(reverse("home"))
    body = page.content.decode()
    assert "1 ngày PC06 đã mở lại, chờ tổ sửa và gửi lại" in body
    assert "Mở lại bởi Lê Văn Cường (pc06-tinh) lúc " in body
    assert "«Số của xã 31318 ghi nhầm sang 31321»" in body
    assert reverse("report_day", args=[campaign.code, "TO-VTH-1", "2021-03-08"]) in body
    assert dt.date(2021, 3, 8) not in [d for _, d in page.context["panels"][0][2].unsent_days]  # listed once


def test_a_district_sees_its_teams_reopened_days_until_they_are_sent_again(login, campaign):
    submit(campaign, "TO-VTH-1", dt.date(2021, 3, 8), [("M-VTH-01", "31318", 10)])
    submit(campaign, "TO-NBA-1", dt.date(2021, 3, 8), [("M-NBA-01", "31340", 10)])
    reopen(campaign, "TO-VTH-1", dt.date(2021, 3, 8))
    reopen(campaign, "TO-NBA-1", dt.date(2021, 3, 8))
    district = login(Role.DISTRICT, "CAH-VTH")
    today = district.get(reverse("home")).context["panels"][0][2]
    assert [(r.report.team.code, r.reopening.reason) for r in today.reopened] == [("TO-VTH-1", "Tổ ghi nhầm xã")]
    report_submit(campaign=campaign, team=Unit.objects.get(campaign=campaign, code="TO-VTH-1"),
                  day=dt.date(2021, 3, 8), actor="to")
    body = district.get(reverse("home")).content.decode()
    assert "PC06 đã mở lại" not in body
