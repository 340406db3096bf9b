"""The standings pages: everyone in the campaign sees the ranking; the explanation of a competitor only within
one's scope; a bounded number of queries."""

import datetime as dt

import pytest
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.intake.models import DailyReport
from thidua.intake.services import report_submit, report_verify
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db



def test_the_ranking_shows_every_competitor_in_vietnamese_formats(login, campaign):
    body = login(Role.PC06, "PC06").get(reverse("standings", args=[campaign.code]) + "?ngay=2021-03-02").content
    body = body.decode()
    assert "Công an thành phố Vị Thanh" in body and "Công an thành phố Ngã Bảy" in body
    assert "<strong>Tạm tính</strong>: nếu đợt thi đua kết thúc vào ngày 02/03/2021" in body
    assert "15.240" in body  # Vị Thanh's quota: 120 a day × 127 days


def test_a_district_sees_the_ranking_but_explains_only_itself(login, campaign):
    client = login(Role.DISTRICT, "CAH-VTH")
    body = client.get(reverse("standings", args=[campaign.code])).content.decode()
    assert reverse("standing_detail", args=[campaign.code, "CAH-VTH"]) in body
    assert reverse("standing_detail", args=[campaign.code, "CAH-NBA"]) not in body
    assert client.get(reverse("standing_detail", args=[campaign.code, "CAH-NBA"])).status_code == 404
    assert client.get(reverse("standing_detail", args=[campaign.code, "CAH-VTH"])).status_code == 200


def test_a_team_explains_its_own_points(login, campaign):
    client = login(Role.TEAM, "TO-VTH-1")
    body = client.get(reverse("standing_detail", args=[campaign.code, "TO-VTH-1"]) + "?ngay=2021-03-02").content
    body = body.decode()
    assert "Tổ (tham khảo, không xét giải)" in body
    assert "120/ngày × 127 ngày" in body and "Thu nhận theo ngày" in body
    assert client.get(reverse("standing_detail", args=[campaign.code, "TO-NBA-1"])).status_code == 404


def test_a_bad_date_is_said_and_today_is_shown(login, campaign):
    body = login(Role.PC06, "PC06").get(reverse("standings", args=[campaign.code]) + "?ngay=31/02/2021").content
    assert "Ngày «31/02/2021» không hợp lệ" in body.decode()


def test_the_standings_page_has_a_bounded_number_of_queries(login, campaign, django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    url = reverse("standings", args=[campaign.code])
    with django_assert_max_num_queries(12):
        client.get(url)
    parent = Unit.objects.get(campaign=campaign, code="PC06")
    for i in range(20):
        Unit.objects.create(campaign=campaign, code=f"CAH-X{i}", name=f"Công an {i}", kind="cong_an_huyen",
                            parent=parent, group=campaign.groups.get(code="cap_huyen"))
    with django_assert_max_num_queries(12):
        client.get(url)


def test_the_standings_say_how_many_counted_days_are_not_verified(campaign, client):
    client.force_login(user_create(username="doc-xh", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu"))
    url = reverse("standings", args=[campaign.code]) + "?ngay=2021-03-03"
    # The base dataset has intake on four team-days (01/03 VTH, 02/03 VTH and NBA, 03/03 NBA), none verified.
    assert client.get(url).context["unverified"] == 4
    # Verified as in the site (an act of the history, which the kept standings follow).
    team = Unit.objects.get(code="TO-VTH-1")
    report_submit(campaign=campaign, team=team, day=dt.date(2021, 3, 1), actor="thu-ky")
    report_verify(report=DailyReport.objects.get(team=team, day=dt.date(2021, 3, 1)), actor="huyen")
    page = client.get(url)
    assert page.context["unverified"] == 3 and "Có 3 ngày-tổ" in page.content.decode()


def test_each_day_of_a_teams_points_links_to_its_report(campaign, client):
    client.force_login(user_create(username="doc-xh2", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu"))
    body = client.get(reverse("standing_detail", args=[campaign.code, "TO-VTH-1"]) + "?ngay=2021-03-03") \
        .content.decode()
    assert reverse("report_day", args=[campaign.code, "TO-VTH-1", "2021-03-02"]) in body
